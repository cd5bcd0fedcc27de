package local

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/platform"
)

// TestControlTLSFollowsTheBinary: the lane runs ADS over TLS only with a
// meshcontrol whose --help lists --tls; an older one (a gate's base) gets
// the flags it knows, and its proxies a CA token only for mTLS. The
// binaries are shell scripts printing each kind of usage (the exec seam).
func TestControlTLSFollowsTheBinary(t *testing.T) {
	dir := t.TempDir()
	script := func(name, usage string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\ncat >&2 <<'EOF'\n"+usage+"EOF\nexit 2\n"), 0o755))
		return path
	}
	withTLS := script("new", "Usage of meshcontrol:\n  -mesh string\n    \tmesh file\n  -tls\n    \tserve ADS over TLS\n  -tls-names string\n    \tnames\n")
	without := script("old", "Usage of meshcontrol:\n  -mesh string\n    \tmesh file\n  -tls-names string\n    \tnot the flag itself\n")
	for _, tc := range []struct {
		bin  string
		want bool
	}{{withTLS, true}, {without, false}, {filepath.Join(dir, "missing"), false}} {
		p := New(platform.Binaries{Meshcontrol: tc.bin})
		assert.Equal(t, tc.want, p.controlTLS(context.Background()), tc.bin)
	}

	l := &meshLane{xds: "127.0.0.1:1", token: "s", root: "/ca/root-cert.pem", tls: true}
	args, env := l.xdsArgs(false, "n")
	assert.Equal(t, []string{"--xds", "127.0.0.1:1", "--xds-ca", "/ca/root-cert.pem"}, args)
	assert.Len(t, env, 1, "over TLS the token authenticates ADS, with or without mTLS")
	l.tls = false
	args, env = l.xdsArgs(false, "n")
	assert.Equal(t, []string{"--xds", "127.0.0.1:1"}, args)
	assert.Empty(t, env, "an old meshcontrol without mTLS: no token, as its harness ran it")
	_, env = l.xdsArgs(true, "n")
	assert.Len(t, env, 1)
}

// TestAppArgsOmitTheDefaultProtocol: the app gets --protocol only for what
// its default does not serve, so a gate's base app that predates the flag
// (ff17689's) starts for http1 and h2.
func TestAppArgsOmitTheDefaultProtocol(t *testing.T) {
	for _, tc := range []struct {
		proto string
		want  []string
	}{
		{"", []string{"echo", "--listen", "a"}},
		{"http1", []string{"echo", "--listen", "a"}},
		{"h2", []string{"echo", "--listen", "a"}},
		{"grpc", []string{"echo", "--listen", "a", "--protocol", "grpc"}},
		{"tcp", []string{"echo", "--listen", "a", "--protocol", "tcp"}},
	} {
		assert.Equal(t, tc.want, appArgs("a", tc.proto, 0), tc.proto)
	}
	assert.Equal(t, []string{"echo", "--listen", "a", "--fail-status", "503"}, appArgs("a", "http1", 503))
}
