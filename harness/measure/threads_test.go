package measure

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const helperEnv = "MEASURE_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "thread-churn":
		threadChurn()
		os.Exit(0)
	case "burn-user", "burn-kernel":
		burn(os.Getenv(helperEnv))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// threadChurn is a component whose threads come and go: on each line of
// stdin it burns 300 ms of CPU in ten OS threads that each exit when done
// (a goroutine that ends while locked to its thread takes the thread with
// it), then answers "done".
func threadChurn() {
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("ready")
	for in.Scan() {
		for range 10 {
			done := make(chan struct{})
			go func() {
				runtime.LockOSThread() // never unlocked (spin's unlock only undoes its own lock): the thread exits with the goroutine
				spin(30 * time.Millisecond)
				close(done)
			}()
			<-done
		}
		time.Sleep(50 * time.Millisecond) // let the threads finish exiting
		fmt.Println("done")
	}
}

// startHelper starts this test binary as the helper component mode (see
// TestMain), waits for its "ready", and stops it when the test ends (its
// stdin closes).
func startHelper(t *testing.T, mode string) (*exec.Cmd, io.Writer, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	out := bufio.NewScanner(stdout)
	require.True(t, out.Scan())
	require.Equal(t, "ready", out.Text())
	return cmd, stdin, out
}

// sumSchedstat is the old way: the run time of the threads alive now.
func sumSchedstat(taskDir string) (int64, error) {
	entries, err := os.ReadDir(taskDir)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(taskDir, e.Name(), "schedstat"))
		if err != nil {
			continue
		}
		if f := bytes.Fields(data); len(f) > 0 {
			ns, _ := strconv.ParseInt(string(f[0]), 10, 64)
			total += ns
		}
	}
	return total, nil
}

// A component whose threads exit inside the window keeps their CPU: 300 ms
// burnt by threads that are gone at the window's end. Summing live
// threads' schedstat, the old way, sees almost none of it.
func TestExitedThreadsKeepTheirCPU(t *testing.T) {
	tests := []struct {
		name   string
		opts   []ProbeOption
		source string
	}{
		{"cgroup", nil, "cgroup"},
		{"proc-stat", []ProbeOption{WithCgroupRoot("")}, "proc-stat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, stdin, out := startHelper(t, "thread-churn")
			p := NewProcProbe("churn", "app", cmd.Process.Pid, tt.opts...)
			if tt.source == "cgroup" && p.cg == nil {
				t.Skipf("no cgroup of its own here: %v", p.CgroupErr)
			}
			task := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "task")
			live0, err := sumSchedstat(task)
			require.NoError(t, err)
			w, err := Start(context.Background(), []Probe{p}, 50*time.Millisecond)
			require.NoError(t, err)
			_, err = fmt.Fprintln(stdin, "go")
			require.NoError(t, err)
			require.True(t, out.Scan())
			require.Equal(t, "done", out.Text())
			comps, err := w.Finish(context.Background(), 1000, 1)
			require.NoError(t, err)
			live1, err := sumSchedstat(task)
			require.NoError(t, err)

			assert.Equal(t, tt.source, comps[0].CPUSource)
			assert.InDelta(t, 0.3, comps[0].CPUSeconds, 0.1, "the exited threads' 300 ms")
			assert.Less(t, float64(live1-live0)/1e9, 0.1, "the live threads' sum lost it (the test's premise)")
		})
	}
}

func TestCgroupIsRemovedWhenItsProcessExits(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	p := NewProcProbe("sleeper", "app", cmd.Process.Pid)
	if p.cg == nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Skipf("no cgroup of its own here: %v", p.CgroupErr)
	}
	assert.Contains(t, p.cg.dir, filepath.Join(CgroupParent, "sleeper-"))
	require.DirExists(t, p.cg.dir)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	assert.Eventually(t, func() bool {
		_, err := os.Stat(p.cg.dir)
		return os.IsNotExist(err)
	}, 5*time.Second, 100*time.Millisecond)
}
