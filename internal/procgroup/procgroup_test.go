package procgroup

import (
	"context"
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
)

// TestCancelKillsGrandchildren: a command that forks a child of its own
// (as go build forks compile) leaves neither behind when its context is
// cancelled. Without the group kill the grandchild survives (exec.Cmd's
// default kills only the direct child).
func TestCancelKillsGrandchildren(t *testing.T) {
	tests := []struct {
		name      string
		group     bool
		survivors bool
	}{
		{"group kill", true, false},
		{"default kill", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "grandchild")
			ctx, cancel := context.WithCancel(context.Background())
			cmd := exec.CommandContext(ctx, "sh", "-c", "sleep 300 & echo $! > "+pidFile+"; wait")
			if tc.group {
				KillOnCancel(cmd)
			} else {
				cmd.WaitDelay = time.Second
			}
			require.NoError(t, cmd.Start())
			var pid int
			require.Eventually(t, func() bool {
				b, err := os.ReadFile(pidFile)
				pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				return err == nil && pid > 0
			}, 5*time.Second, 10*time.Millisecond)
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
			cancel()
			_ = cmd.Wait()
			alive := func() bool {
				b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
				return err == nil && !strings.Contains(string(b), ") Z ")
			}
			if tc.survivors {
				assert.True(t, alive(), "without the group kill the grandchild survives: the test can fail")
				return
			}
			assert.Eventually(t, func() bool { return !alive() }, 2*time.Second, 10*time.Millisecond, "grandchild %d survived", pid)
		})
	}
}
