package procgroup

import (
	"os/exec"
	"syscall"
	"time"
)

// KillOnCancel makes cmd the leader of its own process group and, when
// its context is cancelled, kills the whole group, not only cmd: go build
// (under nice) forks compile and link processes that would otherwise
// outlive an interrupted gate. WaitDelay bounds the wait for output pipes a
// killed grandchild might still hold.
func KillOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
}
