package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/internal/await"
)

// process is one started child.
type process struct {
	name string
	role string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // exit error, valid after done
	logs *tailBuffer
	// ready is the URL that answers once it serves ("" for none): a
	// restart (resilience faults) waits on it again.
	ready string
}

// start launches bin with args as its own process group. The child dies
// with the harness (Pdeathsig) even if the harness is killed with SIGKILL.
func start(log *slog.Logger, name, role, bin string, args []string, env []string) (*process, error) {
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), env...)
	logs := &tailBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	p := &process{name: name, role: role, cmd: cmd, done: make(chan struct{}), logs: logs}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	log.Debug("started", "component", name, "pid", cmd.Process.Pid, "cmd", bin+" "+strings.Join(args, " "))
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
}

// exited reports an error if the process has already exited.
func (p *process) exited() error {
	select {
	case <-p.done:
		status := "exit status 0"
		if p.err != nil {
			status = p.err.Error()
		}
		return &platform.ComponentError{Component: p.name, ExitStatus: status, LogTail: p.logs.String(),
			Err: fmt.Errorf("exited early (%s)", status)}
	default:
		return nil
	}
}

// waitReady polls url every 50 ms until it answers 200 (a tcp:// url:
// until it accepts a connection), the process exits, or timeout.
func waitReady(ctx context.Context, p *process, url string, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	what := "200 OK from " + url // the ComponentError names p
	if addr, ok := strings.CutPrefix(url, "tcp://"); ok {
		what = "a connection accepted at " + addr
	}
	err := await.Until(ctx, what, 50*time.Millisecond, timeout, func(ctx context.Context) (bool, string, error) {
		if err := p.exited(); err != nil {
			return false, "", err
		}
		if addr, ok := strings.CutPrefix(url, "tcp://"); ok {
			c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
			if err != nil {
				return false, err.Error(), nil
			}
			c.Close()
			return true, "", nil
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return false, err.Error(), nil
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status, nil
	})
	var exited *platform.ComponentError
	if err == nil || errors.As(err, &exited) {
		return err
	}
	return &platform.ComponentError{Component: p.name, LogTail: p.logs.String(), Err: err}
}

// tailBuffer keeps the last max bytes written, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
