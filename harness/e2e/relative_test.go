package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// refProxyScenario runs both reference proxies once, with mTLS between their
// positions (certificate paths are handed to them too).
const refProxyScenario = `
name: rel
kind: synthetic
lanes: [nginx, haproxy]
warmup: 300ms
duration: 1s
matrix: {qps: [100], connections: [2], payload_bytes: [64], mtls: [true]}
`

// TestReferenceProxiesWithRelativeOutputDir: `meshbench run -o REL` with a
// relative directory, as make bench does by default. Every path handed to
// nginx and haproxy must be absolute: nginx resolves a relative -c against
// its -p prefix and failed to start with the path joined twice.
func TestReferenceProxiesWithRelativeOutputDir(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	for _, bin := range []string{"nginx", "haproxy"} {
		if _, err := exec.LookPath(bin); err != nil {
			if _, err := os.Stat("/usr/sbin/" + bin); err != nil {
				t.Skipf("%s is not installed (make deps installs it)", bin)
			}
		}
	}
	wd := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(wd, "s.yaml"), []byte(refProxyScenario), 0o644))
	cmd := exec.Command(filepath.Join(binDir, "meshbench"), "run", "-f", "s.yaml", "-o", filepath.Join("out", "rel"), "--no-report")
	cmd.Dir = wd
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	rs, err := results.ReadAll(filepath.Join(wd, "out", "rel"))
	require.NoError(t, err)
	lanes := map[string]bool{}
	for _, r := range rs {
		lanes[r.Lane] = true
		assert.Greater(t, r.Requests, int64(0), r.Key())
		assert.Zero(t, r.Errors, "%s: %v", r.Key(), r.ErrorsByStatus)
	}
	assert.Equal(t, map[string]bool{"nginx": true, "haproxy": true}, lanes, "both lanes ran")
}
