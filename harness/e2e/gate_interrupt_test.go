package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// gateScenario is small: each round is one 1 s run per side.
const gateScenario = `
name: gate-int
kind: synthetic
lanes: [mesh/both]
warmup: 500ms
duration: 1s
matrix: {qps: [100], connections: [2], payload_bytes: [64]}
`

// TestGateInterruptedMidRound sends SIGTERM (as a CI runner cancelling a
// job does: to the process, not its group) to the real meshbench gate once
// its first run is written and the next one is under way, and checks that
// it exits 130, that no process it started survives, and that the finished
// runs are kept.
func TestGateInterruptedMidRound(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	dir := t.TempDir()
	scen := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(scen, []byte(gateScenario), 0o644))
	out := filepath.Join(dir, "out")

	cmd := exec.Command(filepath.Join(binDir, "meshbench"), "gate", "-f", scen, "-o", out,
		"--base-bin", binDir, "--candidate-bin", binDir, "--rounds", "5", "--extension", "-1", "-q")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logs, err := os.Create(filepath.Join(dir, "gate.log"))
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	gateLog := func() string { b, _ := os.ReadFile(logs.Name()); return string(b) }

	require.Eventually(t, func() bool {
		rs, _ := results.ReadAll(filepath.Join(out, "runs"))
		return len(rs) >= 1
	}, 90*time.Second, 50*time.Millisecond, "no run finished: %s", gateLog())
	time.Sleep(700 * time.Millisecond) // inside the next run
	var children []string
	require.Eventually(t, func() bool {
		children = descendants(cmd.Process.Pid)
		return len(children) > 0
	}, 10*time.Second, 20*time.Millisecond, "the next run has started its components")

	require.NoError(t, syscall.Kill(cmd.Process.Pid, syscall.SIGTERM))
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, gateLog())
	assert.Equal(t, 130, ee.ExitCode(), "an interrupted gate exits 130: %s", gateLog())
	assert.Contains(t, gateLog(), "interrupted: runs so far kept in")

	for _, pid := range children {
		assert.NoDirExists(t, filepath.Join("/proc", pid), "process %s survived SIGTERM", pid)
	}
	assert.Empty(t, descendantsByExe(binDir), "no process of the binaries is left")
	kept, err := results.ReadAll(filepath.Join(out, "runs"))
	require.NoError(t, err)
	assert.NotEmpty(t, kept, "the finished runs are kept")
	assert.NoFileExists(t, filepath.Join(out, "comparison.json"), "no verdict from an interrupted gate")
}
