package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/meshbench/meshbench/harness/platform/kube"
	"github.com/meshbench/meshbench/internal/await"
)

// nodeExec runs a command inside a node container of the cluster
// (cluster.Manager.NodeExec bound to the cluster's name).
type nodeExec func(ctx context.Context, node string, argv ...string) (string, error)

// signaller is the kind platform's kube.Signaller. A node is a Docker
// container the harness created, so the harness may signal the processes
// of the pods' containers in it. Two ways, the first that works:
//
//   - from the host: the container's cgroup (nested under its node
//     container's, on this host's cgroup tree, as cgroupSource reads it)
//     lists its processes' host pids in cgroup.procs, and kill(2) signals
//     them at once. The cgroup must lie under one of the cluster's node
//     containers (nodeIDs), so nothing else is ever signalled.
//   - from inside the node (Docker elsewhere, or pids not visible here):
//     crictl inspect gives the container's main pid in the node, and
//     `docker exec NODE kill -s SIG PID` signals it. One docker exec takes
//     0.05 s on a quiet machine and 0.3-1 s on a loaded one, which is why
//     it is the fallback.
//
// A container's process is its pid namespace's init, which a signal from
// outside (an ancestor namespace) reaches when it is SIGSTOP or when the
// process handles it: meshbench echo handles SIGUSR1 and SIGUSR2; SIGKILL
// and SIGSTOP always reach it.
type signaller struct {
	cgroupRoot string                                      // /sys/fs/cgroup
	nodeIDs    func(ctx context.Context) ([]string, error) // full IDs of the cluster's node containers
	exec       nodeExec

	mu     sync.Mutex
	procs  map[string]string // by node/container: its cgroup.procs on this host
	inNode map[string]int    // by node/container: its main pid inside the node
}

var _ kube.Signaller = (*signaller)(nil)

// stopWait bounds the wait for a stopped process's every thread to stop.
const stopWait = 2 * time.Second

// KILL ends a sidecar's process inside its pod (kill server-proxy): the
// kubelet restarts the container under the pod's restart policy.
var signals = map[string]syscall.Signal{"STOP": syscall.SIGSTOP, "CONT": syscall.SIGCONT, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2,
	"KILL": syscall.SIGKILL}

// Signal implements kube.Signaller.
func (s *signaller) Signal(ctx context.Context, node, id, sig string) (string, error) {
	sg, ok := signals[sig]
	if !ok {
		return "", fmt.Errorf("signal %q: not one of STOP, CONT, USR1, USR2, KILL", sig)
	}
	procs, hostErr := s.hostProcs(ctx, node, id)
	if hostErr == nil {
		pids, err := readPids(procs)
		if err == nil && len(pids) > 0 {
			return s.signalHost(ctx, node, pids, sg, sig)
		}
		hostErr = fmt.Errorf("%s: no process visible from here (%v)", procs, err)
	}
	what, err := s.signalInNode(ctx, node, id, sig)
	if err != nil {
		return what, fmt.Errorf("%w (from the host: %v)", err, hostErr)
	}
	return what, nil
}

// hostProcs is the container's cgroup.procs on this host, under one of
// the cluster's node containers.
func (s *signaller) hostProcs(ctx context.Context, node, id string) (string, error) {
	key := node + "/" + id
	s.mu.Lock()
	p, ok := s.procs[key]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	if s.nodeIDs == nil {
		return "", errors.New("the node containers' IDs are unknown")
	}
	ids, err := s.nodeIDs(ctx)
	if err != nil {
		return "", err
	}
	// Any hierarchy lists the processes: the unified one (v2), else pids.
	top := s.cgroupRoot
	if _, err := os.Stat(filepath.Join(top, "cgroup.controllers")); err != nil {
		top = filepath.Join(top, "pids")
	}
	dir, err := findDir(top, id)
	if err != nil {
		return "", err
	}
	owned := false
	for _, nid := range ids {
		owned = owned || (len(nid) == 64 && strings.Contains(dir, nid))
	}
	if !owned {
		return "", fmt.Errorf("cgroup %s is under none of the cluster's node containers", dir)
	}
	p = filepath.Join(dir, "cgroup.procs")
	s.mu.Lock()
	if s.procs == nil {
		s.procs = map[string]string{}
	}
	s.procs[key] = p
	s.mu.Unlock()
	return p, nil
}

func readPids(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// signalHost signals every process of the container; for STOP it returns
// once every thread of each is stopped.
func (s *signaller) signalHost(ctx context.Context, node string, pids []int, sg syscall.Signal, sig string) (string, error) {
	what := fmt.Sprintf("host pid %s in node %s (SIG%s)", joinInts(pids), node, sig)
	for _, pid := range pids {
		if err := syscall.Kill(pid, sg); err != nil {
			return what, fmt.Errorf("kill -%s %d: %w", sig, pid, err)
		}
	}
	if sg != syscall.SIGSTOP {
		return what, nil
	}
	return what, waitStopped(ctx, func() (string, error) {
		var all strings.Builder
		for _, pid := range pids {
			tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
			for _, t := range tasks {
				b, err := os.ReadFile(t)
				if err != nil {
					continue // a thread that exited
				}
				all.Write(b)
			}
		}
		return all.String(), nil
	})
}

// signalInNode signals the container's main process from inside its node.
func (s *signaller) signalInNode(ctx context.Context, node, id, sig string) (string, error) {
	key := node + "/" + id
	s.mu.Lock()
	pid, ok := s.inNode[key]
	s.mu.Unlock()
	if !ok {
		out, err := s.exec(ctx, node, "crictl", "inspect", "--output", "go-template", "--template", "{{.info.pid}}", id)
		if err != nil {
			return "", err
		}
		pid, err = strconv.Atoi(strings.TrimSpace(out))
		if err != nil || pid <= 1 {
			return "", fmt.Errorf("container %s on node %s: crictl inspect gave pid %q", id, node, strings.TrimSpace(out))
		}
		s.mu.Lock()
		if s.inNode == nil {
			s.inNode = map[string]int{}
		}
		s.inNode[key] = pid
		s.mu.Unlock()
	}
	if _, err := s.exec(ctx, node, "kill", "-s", sig, strconv.Itoa(pid)); err != nil {
		return "", err
	}
	what := fmt.Sprintf("pid %d inside node %s (SIG%s)", pid, node, sig)
	if sig != "STOP" {
		return what, nil
	}
	return what, waitStopped(ctx, func() (string, error) {
		return s.exec(ctx, node, "sh", "-c", fmt.Sprintf("cat /proc/%d/task/*/stat", pid))
	})
}

// waitStopped polls stats until every thread is stopped: SIGSTOP stops
// the threads one by one, and the fault has begun once all are.
func waitStopped(ctx context.Context, stats func() (string, error)) error {
	return await.Until(ctx, "every thread to stop after SIGSTOP", 5*time.Millisecond, stopWait, func(context.Context) (bool, string, error) {
		out, err := stats()
		if err != nil {
			return false, "", err
		}
		return allStopped(out), "thread states " + threadStates(out), nil
	})
}

// threadStates lists the state field of each stat line, for an error:
// "S,T,T".
func threadStates(stats string) string {
	var st []string
	for _, line := range strings.Split(strings.TrimSpace(stats), "\n") {
		if i := strings.LastIndex(line, ") "); i >= 0 && i+2 < len(line) {
			st = append(st, line[i+2:i+3])
		}
	}
	return strings.Join(st, ",")
}

// allStopped reports whether every /proc/PID/task/*/stat line says state
// T (stopped) or t (traced); the state is the field after "(comm)".
func allStopped(stats string) bool {
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(stats), "\n") {
		i := strings.LastIndex(line, ") ")
		if i < 0 || i+2 >= len(line) {
			return false
		}
		if st := line[i+2]; st != 'T' && st != 't' {
			return false
		}
		n++
	}
	return n > 0
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
