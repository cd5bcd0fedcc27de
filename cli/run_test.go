package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunRejectsBadInputClearly: every usage error names the file, field or
// flag at fault and exits 3 before anything starts: no output directory is
// created.
func TestRunRejectsBadInputClearly(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	require.NoError(t, os.WriteFile(good, []byte("name: g\nlanes: [none]\nduration: 1s\n"), 0o644))
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: b\nlanes: [none]\nduration: 1s\nmatrix:\n  qps: [0]\n"), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing file flag", []string{"run"}, `"file" not set`},
		{"no such file", []string{"run", "-f", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"bad value", []string{"run", "-f", bad}, bad + ":5: field matrix.qps[0]"},
		{"unknown platform", []string{"run", "-f", good, "--platform", "nomad", "-o", filepath.Join(dir, "o1")}, `--platform "nomad": unknown`},
		{"unknown lane", []string{"run", "-f", good, "--lanes", "envoy", "-o", filepath.Join(dir, "o2")}, `--lanes: unknown lane "envoy"`},
		{"unknown mode", []string{"run", "-f", good, "--lanes", "none,mesh/sideways", "-o", filepath.Join(dir, "o5")}, `--lanes: unknown lane "mesh/sideways"`},
		{"bin-dir without meshproxy", []string{"run", "-f", good, "--lanes", "none,mesh", "--bin-dir", dir, "-o", filepath.Join(dir, "o6")}, "--bin-dir: lane mesh/both needs meshproxy"},
		{"bad label", []string{"run", "-f", good, "--label", "nokey", "-o", filepath.Join(dir, "o3")}, `--label "nokey"`},
		{"unknown profile", []string{"run", "-f", good, "--profile", "long"}, `--profile "long"`},
		{"micro kind", []string{"run", "-f", "../scenarios/micro/proxy.yaml", "-o", filepath.Join(dir, "o4")}, "meshbench gate -f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Run(context.Background(), tc.args, Streams{Out: &out, Err: &errOut})
			assert.Equal(t, 3, code, errOut.String())
			assert.Contains(t, errOut.String(), tc.want)
			for i, a := range tc.args {
				if a == "-o" {
					assert.NoDirExists(t, tc.args[i+1], "no side effect before the input is checked")
				}
			}
		})
	}
}
