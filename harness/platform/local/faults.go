package local

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"golang.org/x/sys/unix"

	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/resilience"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/await"
)

var _ resilience.Faultable = (*topology)(nil)

// The methods below let a resilience run break a running topology and
// mend it (harness/resilience's Faultable): kill a component outright and
// start it again with the same command, on the same address.

// Supports implements resilience.Faultable: the local platform does every
// fault kind (whether the target exists is checked when the fault acts);
// a graceful restart only where something drains the old app (restart.go).
func (t *topology) Supports(kind, target string) error {
	if kind == resilience.KindRestart {
		return t.supportsRestart(resilience.ProcessName(target))
	}
	return nil
}

// Casualties implements resilience.Faultable: a killed process takes only
// itself down (its probe has the component's name). In a topology set up
// for a graceful restart (AppGracefulStop) the app and its server proxy
// are replaced together, as the containers of one pod on kind, so neither
// is measured.
func (t *topology) Casualties(name string) []string {
	if name == results.RoleApp && t.spec.Mesh.AppGracefulStop && t.mode() == platform.ModeBoth {
		return []string{results.RoleApp, results.RoleServerProxy}
	}
	return []string{name}
}

// Scrape implements resilience.Faultable: a component's admin /metrics
// (meshcontrol's; a mesh lane proxy's).
func (t *topology) Scrape(ctx context.Context, name string) (map[string]*dto.MetricFamily, error) {
	t.mu.Lock()
	addr, ok := t.admins[name]
	t.mu.Unlock()
	if !ok {
		var err error
		if addr, err = t.Addr(name); err != nil || name != "meshcontrol" {
			return nil, fmt.Errorf("component %q has no metrics the harness reads in lane %s (meshcontrol and the mesh's proxies)", name, t.spec.Lane)
		}
	}
	return measure.ScrapeFamilies(ctx, "http://"+addr+"/metrics")
}

// Kill sends SIGKILL to a component's process group (no grace: a crash,
// not a shutdown) and waits until it has exited. It returns the pid killed.
func (t *topology) Kill(ctx context.Context, name string) (string, error) {
	pr, err := t.proc(name)
	if err != nil {
		return "", err
	}
	pid := pr.pid()
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		return "", fmt.Errorf("kill %s (pid %d): %w", name, pid, err)
	}
	select {
	case <-pr.done:
		return fmt.Sprintf("pid %d (SIGKILL)", pid), nil
	case <-time.After(5 * time.Second):
		return "", fmt.Errorf("kill %s (pid %d): still running 5s after SIGKILL", name, pid)
	case <-ctx.Done():
		return "", fmt.Errorf("kill %s (pid %d): waiting for its exit after SIGKILL: %w", name, pid, ctx.Err())
	}
}

// Restart starts a component that has exited again, with its command line
// and environment, and waits until it is ready. It returns the new pid.
func (t *topology) Restart(ctx context.Context, name string) (string, error) {
	pr, err := t.proc(name)
	if err != nil {
		return "", err
	}
	if pr.exited() == nil {
		return "", fmt.Errorf("restart %s: it is still running (pid %d)", name, pr.pid())
	}
	old := pr.cmd
	// old.Env is the harness's environment plus the component's own; exec
	// keeps the last of duplicate keys, so the component's win again.
	np, err := start(t.p.log, pr.name, pr.role, old.Path, old.Args[1:], old.Env)
	if err != nil {
		return "", fmt.Errorf("restart %s: %w", name, err)
	}
	np.ready = pr.ready
	t.p.untrack(pr)
	t.p.track(np)
	t.mu.Lock()
	for i := range t.procs {
		if t.procs[i] == pr {
			t.procs[i] = np
		}
	}
	t.mu.Unlock()
	if np.ready != "" {
		if err := waitReady(ctx, np, np.ready, readyTimeout); err != nil {
			return "", fmt.Errorf("restart %s: %w", name, err)
		}
	}
	return fmt.Sprintf("pid %d", np.pid()), nil
}

// Pause stops a component's process group with SIGSTOP: it keeps its
// sockets open but answers nothing (a hung upstream). Resume undoes it.
// It returns once every thread of the process has stopped: kill(2)
// returns before the stop reaches threads running on another CPU, and a
// request arriving in between was answered (TestFaultInjectors saw it).
func (t *topology) Pause(ctx context.Context, name string) (string, error) {
	pid, err := t.signal(name, syscall.SIGSTOP)
	if err != nil {
		return "", err
	}
	what := fmt.Sprintf("pid %d (SIGSTOP)", pid)
	err = await.Until(ctx, fmt.Sprintf("every thread of %s (pid %d) stopped after SIGSTOP", name, pid), time.Millisecond, 2*time.Second,
		func(context.Context) (bool, string, error) {
			running := notStopped(pid)
			return running == "", running, nil
		})
	if err != nil {
		return what, fmt.Errorf("pause %s: %w", name, err)
	}
	return what, nil
}

// notStopped returns "" when every thread of pid is in the stopped state,
// else the first thread found running, or why none could be read.
func notStopped(pid int) string {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return err.Error()
	}
	if len(tasks) == 0 {
		return "no threads"
	}
	for _, task := range tasks {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			return err.Error()
		}
		// The state is the field after the parenthesised command name.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 || i+2 >= len(stat) {
			return fmt.Sprintf("thread %s: unreadable stat", task.Name())
		}
		if st := stat[i+2]; st != 'T' && st != 't' {
			return fmt.Sprintf("thread %s in state %c", task.Name(), st)
		}
	}
	return ""
}

// Resume continues a paused component with SIGCONT.
func (t *topology) Resume(_ context.Context, name string) (string, error) {
	return t.signalled(name, syscall.SIGCONT)
}

// signalled signals a component and says what it signalled.
func (t *topology) signalled(name string, sig syscall.Signal) (string, error) {
	pid, err := t.signal(name, sig)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("pid %d (%s)", pid, unix.SignalName(sig)), nil
}

func (t *topology) signal(name string, sig syscall.Signal) (int, error) {
	pr, err := t.proc(name)
	if err != nil {
		return 0, err
	}
	if err := syscall.Kill(-pr.pid(), sig); err != nil {
		return 0, fmt.Errorf("%s %s (pid %d): %w", sig, name, pr.pid(), err)
	}
	return pr.pid(), nil
}

// Fail makes an app replica answer every request with its --fail-status
// (meshbench echo's SIGUSR1); Heal (SIGUSR2) lets it echo again.
func (t *topology) Fail(_ context.Context, name string) (string, error) {
	return t.signalled(name, syscall.SIGUSR1)
}

// Heal undoes Fail.
func (t *topology) Heal(_ context.Context, name string) (string, error) {
	return t.signalled(name, syscall.SIGUSR2)
}

// Alive reports whether a component's current process is running.
func (t *topology) Alive(name string) bool {
	pr, err := t.proc(name)
	return err == nil && pr.exited() == nil
}

// PID is the pid of a component's current process.
func (t *topology) PID(name string) (int, error) {
	pr, err := t.proc(name)
	if err != nil {
		return 0, err
	}
	return pr.pid(), nil
}

// Addr is where a sidecar lane's component (app, client-proxy,
// server-proxy) listens; for meshcontrol, its admin listener (/metrics).
func (t *topology) Addr(name string) (string, error) {
	if name == "meshcontrol" && t.mesh != nil {
		return t.mesh.admin, nil
	}
	t.mu.Lock()
	a, ok := t.addrs[name]
	t.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("component %q has no listener in lane %s", name, t.spec.Lane)
	}
	return a, nil
}

func (t *topology) proc(name string) (*process, error) {
	t.mu.Lock() // a graceful restart renames the new instances
	defer t.mu.Unlock()
	var names []string
	for _, pr := range t.procs {
		if pr.name == name {
			return pr, nil
		}
		names = append(names, pr.name)
	}
	return nil, fmt.Errorf("no component %q in lane %s (has %v)", name, t.spec.Lane, names)
}
