package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

const failingScenario = `
name: fail
kind: synthetic
lanes: [none, mesh, httputil]
repetitions: 2
warmup: 200ms
duration: 1s
matrix: {qps: [100], connections: [2], payload_bytes: [64]}
`

// brokenProxy stands in for meshproxy: it fails the way a proxy that cannot
// start does, with a message and a non-zero exit.
const brokenProxy = "#!/bin/sh\necho 'meshproxy: listen tcp: simulated failure to start' >&2\nexit 7\n"

// TestFailingLaneDoesNotStopTheOthers runs three lanes through the CLI with
// a meshproxy that exits at once (the --bin-dir seam): the mesh lane's runs
// are recorded as invalid with their cause, the other lanes run in full,
// the summary is printed, and run exits 4 with one line per failed lane.
func TestFailingLaneDoesNotStopTheOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	for _, b := range []string{"meshbench", "meshcontrol"} {
		require.NoError(t, os.Symlink(filepath.Join(binDir, b), filepath.Join(bin, b)))
	}
	require.NoError(t, os.WriteFile(filepath.Join(bin, "meshproxy"), []byte(brokenProxy), 0o755))
	scen := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(scen, []byte(failingScenario), 0o644))
	out := filepath.Join(dir, "out")

	cmd := exec.Command(filepath.Join(bin, "meshbench"), "run", "-f", scen, "-o", out, "--bin-dir", bin, "--no-report")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "stderr: %s", stderr.String())
	assert.Equal(t, 4, ee.ExitCode(), "some runs failed: exit 4")
	assert.Contains(t, stderr.String(), "runs failed in 1 lane(s)")
	assert.Contains(t, stderr.String(), "\n  mesh/both: 2 of 2 runs failed; first, in phase up: ")
	assert.Contains(t, stderr.String(), "simulated failure to start", "the progress shows the component's last output")
	assert.Contains(t, stdout.String(), "httputil", "the summary is printed")

	rs, err := results.ReadAll(out)
	require.NoError(t, err)
	require.Len(t, rs, 6, "every planned run has a result")
	for _, r := range rs {
		if r.Lane != results.LaneMesh {
			// Made and measured (valid or not depends on how busy the machine is).
			assert.Nil(t, r.Failure, r.Key())
			assert.Empty(t, r.Unavailable, r.Key())
			assert.Greater(t, r.Requests, int64(0), r.Key())
			continue
		}
		assert.False(t, r.Valid, r.Key())
		require.NotNil(t, r.Failure, r.Key())
		assert.Equal(t, "up", r.Failure.Phase)
		assert.Equal(t, "server-proxy", r.Failure.Component)
		assert.Equal(t, "exit status 7", r.Failure.ExitStatus)
		assert.Contains(t, r.Failure.LogTail, "simulated failure to start")
		assert.NotContains(t, r.Failure.Error, "\n", "the error is one line; the output is in log_tail")
		assert.Zero(t, r.Requests)
	}
}

// dyingProxy runs the real meshproxy, then dies (exit 9) 2.5 s after it
// started: inside the warm-up or the measured window, after the lane is up.
const dyingProxy = "#!/bin/sh\n%s \"$@\" &\nsleep 2.5\nkill -9 $! 2>/dev/null\nexit 9\n"

// TestComponentDyingMidRunIsAFailure: a proxy that dies while load runs
// makes the run a failure naming it (not a run of failed requests).
func TestComponentDyingMidRunIsAFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	for _, b := range []string{"meshbench", "meshcontrol"} {
		require.NoError(t, os.Symlink(filepath.Join(binDir, b), filepath.Join(bin, b)))
	}
	script := fmt.Sprintf(dyingProxy, filepath.Join(binDir, "meshproxy"))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "meshproxy"), []byte(script), 0o755))
	scen := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(scen, []byte(`
name: dying
lanes: [mesh]
warmup: 2s
duration: 2s
matrix: {qps: [100], connections: [2], payload_bytes: [64]}
`), 0o644))
	out := filepath.Join(dir, "out")
	cmd := exec.Command(filepath.Join(bin, "meshbench"), "run", "-f", scen, "-o", out, "--bin-dir", bin, "--no-report")
	output, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", output)
	assert.Equal(t, 4, ee.ExitCode())

	rs, err := results.ReadAll(out)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	f := rs[0].Failure
	require.NotNil(t, f, "%s", output)
	assert.Contains(t, []string{"warmup", "measure"}, f.Phase, "it died while load ran")
	assert.Equal(t, "server-proxy", f.Component)
	assert.Equal(t, "exit status 9", f.ExitStatus)
}

// TestResilienceComponentCrashIsAFailure: in a resilience run, a component
// that dies when no fault of the scenario touches it (a meshproxy exiting
// 9 2.5 s after it started) makes the run a failure naming it and its exit
// status (exit 4), not a run of failed requests judged by the criteria.
func TestResilienceComponentCrashIsAFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	for _, b := range []string{"meshbench", "meshcontrol"} {
		require.NoError(t, os.Symlink(filepath.Join(binDir, b), filepath.Join(bin, b)))
	}
	script := fmt.Sprintf(dyingProxy, filepath.Join(binDir, "meshproxy"))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "meshproxy"), []byte(script), 0o755))
	scen := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(scen, []byte(`
name: crash
kind: resilience
lanes: [mesh]
warmup: 1s
duration: 5s
matrix: {qps: [100], connections: [2], payload_bytes: [64]}
resilience:
  faults:
    - {kind: pause, target: app, at: 4s, until: 4500ms}
  criteria:
    max_errors_before: 0
`), 0o644))
	out := filepath.Join(dir, "out")
	cmd := exec.Command(filepath.Join(bin, "meshbench"), "run", "-f", scen, "-o", out, "--bin-dir", bin, "--no-report")
	output, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", output)
	assert.Equal(t, 4, ee.ExitCode(), "a run that could not be made: %s", output)

	rs, err := results.ReadAll(out)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	f := rs[0].Failure
	require.NotNil(t, f, "%s", output)
	assert.False(t, rs[0].Valid)
	assert.Contains(t, []string{"warmup", "measure"}, f.Phase, "it died while load ran")
	assert.Contains(t, []string{"server-proxy", "client-proxy"}, f.Component)
	assert.Equal(t, "exit status 9", f.ExitStatus)
	assert.Nil(t, rs[0].Resilience, "no criteria judged on a crashed run")
}
