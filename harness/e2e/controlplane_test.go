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

// TestRunControlPlaneScenario runs a small controlplane scenario through
// `meshbench run`, as a user would, and checks its results and table.
func TestRunControlPlaneScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	dir := t.TempDir()
	scen := filepath.Join(dir, "cp.yaml")
	require.NoError(t, os.WriteFile(scen, []byte(`
name: cp-e2e
kind: controlplane
controlplane:
  sizes:
    - {services: 20, endpoints: 2, proxies: 3}
  churn_rate: 5
  changes: 5
  policy_edit_percent: 20
  change_timeout: 10s
  connect_timeout: 30s
`), 0o644))
	out := filepath.Join(dir, "out")
	cmd := exec.Command(filepath.Join(binDir, "meshbench"), "run", "-f", scen, "-o", out, "--no-report")
	stdout, err := cmd.Output()
	require.NoError(t, err, "%s", stdout)
	assert.Contains(t, string(stdout), "conv p50 ms")

	rs, err := results.ReadAll(out)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	cp := rs[0].ControlPlane
	require.NotNil(t, cp)
	assert.Equal(t, 20, cp.Services)
	assert.Equal(t, 3, cp.Proxies)
	assert.Greater(t, cp.Pushes, int64(0))
	assert.Greater(t, cp.ConvergenceMs.P99, 0.0)
	assert.GreaterOrEqual(t, cp.ConvergenceMs.P99, cp.ConvergenceMs.P50)
	c := rs[0].Component(results.RoleControlPlane)
	require.NotNil(t, c)
	assert.Greater(t, c.RSSBytesSteady, int64(0))
}
