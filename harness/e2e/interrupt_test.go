package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// TestCtrlCStopsEverythingAndKeepsResults interrupts `meshbench run` in its
// second run, as Ctrl-C in a terminal would, and checks that no process it
// started survives and that the first run's result was kept.
func TestCtrlCStopsEverythingAndKeepsResults(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	dir := t.TempDir()
	scen := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(scen, []byte(shortScenario), 0o644))
	out := filepath.Join(dir, "out")

	cmd := exec.Command(filepath.Join(binDir, "meshbench"), "run", "-f", scen, "-o", out, "--no-report")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

	sc := bufio.NewScanner(stderr)
	deadline := time.After(60 * time.Second)
	second := make(chan struct{})
	go func() {
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "[2/") {
				close(second)
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case <-second:
	case <-deadline:
		t.Fatal("second run never started")
	}
	time.Sleep(1500 * time.Millisecond) // inside the second run's load
	children := descendants(cmd.Process.Pid)
	require.NotEmpty(t, children, "the run has started its components")

	// Ctrl-C reaches the whole foreground process group.
	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGINT))
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 130, ee.ExitCode(), "interrupted runs exit 130")

	for _, pid := range children {
		assert.NoDirExists(t, filepath.Join("/proc", pid), "process %s survived Ctrl-C", pid)
	}
	assert.Empty(t, descendantsByExe(binDir), "no process of the binaries is left")
	kept, err := results.ReadAll(out)
	require.NoError(t, err)
	assert.Len(t, kept, 1, "the finished first run is kept")
}

// descendants lists the pids whose parent is pid.
func descendants(pid int) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == itoa(pid) {
			out = append(out, e.Name())
		}
	}
	return out
}

// descendantsByExe lists running processes whose executable is in dir.
func descendantsByExe(dir string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.HasPrefix(exe, dir+"/") && !strings.HasSuffix(exe, " (deleted)") {
			out = append(out, e.Name()+" "+exe)
		}
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
