package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scriptedNode answers the node commands the signaller runs, in order, and
// records them.
type scriptedNode struct {
	ran     []string
	inspect string   // crictl inspect's output
	stats   []string // successive /proc/PID/task/*/stat outputs
	killErr error
}

func (n *scriptedNode) exec(_ context.Context, node string, argv ...string) (string, error) {
	cmd := node + ": " + strings.Join(argv, " ")
	n.ran = append(n.ran, cmd)
	switch argv[0] {
	case "crictl":
		return n.inspect, nil
	case "kill":
		return "", n.killErr
	case "sh":
		out := n.stats[0]
		if len(n.stats) > 1 {
			n.stats = n.stats[1:]
		}
		return out, nil
	}
	return "", errors.New("unexpected command " + cmd)
}

// TestSignallerStopsThenResumes: without the host path (here: the node
// containers' IDs unknown) the container's pid on its node comes
// from crictl inspect (once), SIGSTOP returns only once every thread is
// stopped, SIGCONT is a single kill; a bad pid or a failed kill is an
// error, never a fault reported as applied.
func TestSignallerStopsThenResumes(t *testing.T) {
	ctx := context.Background()
	n := &scriptedNode{inspect: "1514\n", stats: []string{
		"1514 (meshbench) S 1 1514\n1520 (meshbench) S 1 1514\n",
		"1514 (meshbench) T 1 1514\n1520 (meshbench) S 1 1514\n",
		"1514 (meshbench) T 1 1514\n1520 (meshbench) T 1 1514\n",
	}}
	s := &signaller{exec: n.exec}
	what, err := s.Signal(ctx, "mb-control-plane", "abc123", "STOP")
	require.NoError(t, err)
	assert.Equal(t, "pid 1514 inside node mb-control-plane (SIGSTOP)", what)
	_, err = s.Signal(ctx, "mb-control-plane", "abc123", "CONT")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"mb-control-plane: crictl inspect --output go-template --template {{.info.pid}} abc123",
		"mb-control-plane: kill -s STOP 1514",
		"mb-control-plane: sh -c cat /proc/1514/task/*/stat",
		"mb-control-plane: sh -c cat /proc/1514/task/*/stat",
		"mb-control-plane: sh -c cat /proc/1514/task/*/stat",
		"mb-control-plane: kill -s CONT 1514",
	}, n.ran, "the pid is looked up once; the stop waits for every thread")

	bad := &scriptedNode{inspect: "<no value>\n"}
	_, err = (&signaller{exec: bad.exec}).Signal(ctx, "n", "gone", "USR1")
	assert.ErrorContains(t, err, `crictl inspect gave pid "<no value>"`)
	failing := &scriptedNode{inspect: "77", killErr: errors.New("kill: (77) - No such process")}
	_, err = (&signaller{exec: failing.exec}).Signal(ctx, "n", "c", "USR1")
	assert.ErrorContains(t, err, "No such process")
}

func TestAllStopped(t *testing.T) {
	for _, tt := range []struct {
		stats string
		want  bool
	}{
		{"1 (a b) T 0\n2 (a b) t 0\n", true},
		{"1 (x) T 0\n2 (x) R 0\n", false},
		{"1 (odd) name) T 0\n", true},
		{"", false},
		{"garbage", false},
	} {
		assert.Equal(t, tt.want, allStopped(tt.stats), "%q", tt.stats)
	}
}

// TestSignallerFromTheHost: a container's cgroup nested under one of the
// cluster's node containers lists its processes; they are signalled from
// the host with no command run in the node: a real process is stopped
// (every thread in state T before Signal returns), continued, then ended
// by SIGUSR1 (sleep does not handle it). A cgroup under a container that
// is not one of the cluster's nodes is never signalled.
func TestSignallerFromTheHost(t *testing.T) {
	ctx := context.Background()
	proc := exec.Command("sleep", "30")
	require.NoError(t, proc.Start())
	done := make(chan error, 1)
	go func() { done <- proc.Wait() }()
	defer func() { _ = proc.Process.Kill() }()

	nodeID := strings.Repeat("ab", 32)
	root := t.TempDir()
	dir := filepath.Join(root, "pids", "docker", nodeID, "kubelet.slice", "kubelet-kubepods.slice", "cri-containerd-c0ffee.scope")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprintf("%d\n", proc.Process.Pid)), 0o644))
	n := &scriptedNode{}
	s := &signaller{cgroupRoot: root, exec: n.exec, nodeIDs: func(context.Context) ([]string, error) { return []string{nodeID}, nil }}

	what, err := s.Signal(ctx, "mb-control-plane", "c0ffee", "STOP")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("host pid %d in node mb-control-plane (SIGSTOP)", proc.Process.Pid), what)
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", proc.Process.Pid))
	require.NoError(t, err)
	assert.True(t, allStopped(string(stat)), "stopped when Signal returns: %s", stat)
	_, err = s.Signal(ctx, "mb-control-plane", "c0ffee", "CONT")
	require.NoError(t, err)
	stat, err = os.ReadFile(fmt.Sprintf("/proc/%d/stat", proc.Process.Pid))
	require.NoError(t, err)
	assert.False(t, allStopped(string(stat)), "running again: %s", stat)
	_, err = s.Signal(ctx, "mb-control-plane", "c0ffee", "USR1")
	require.NoError(t, err)
	diedOf(t, done, syscall.SIGUSR1)
	assert.Empty(t, n.ran, "nothing ran inside the node")

	other := &signaller{cgroupRoot: root, exec: n.exec, nodeIDs: func(context.Context) ([]string, error) { return []string{strings.Repeat("cd", 32)}, nil }}
	_, err = other.Signal(ctx, "mb-control-plane", "c0ffee", "STOP")
	assert.ErrorContains(t, err, "is under none of the cluster's node containers")
	_, err = s.Signal(ctx, "n", "c0ffee", "HUP")
	assert.ErrorContains(t, err, "not one of STOP, CONT, USR1, USR2, KILL")

	// KILL (a sidecar's process killed inside its pod) ends the process.
	n.ran = nil
	victim := exec.Command("sleep", "30")
	require.NoError(t, victim.Start())
	gone := make(chan error, 1)
	go func() { gone <- victim.Wait() }()
	defer func() { _ = victim.Process.Kill() }()
	dir2 := filepath.Join(root, "pids", "docker", nodeID, "kubelet.slice", "kubelet-kubepods.slice", "cri-containerd-deadbeef.scope")
	require.NoError(t, os.MkdirAll(dir2, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir2, "cgroup.procs"), []byte(fmt.Sprintf("%d\n", victim.Process.Pid)), 0o644))
	what, err = s.Signal(ctx, "mb-control-plane", "deadbeef", "KILL")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("host pid %d in node mb-control-plane (SIGKILL)", victim.Process.Pid), what)
	diedOf(t, gone, syscall.SIGKILL)
	assert.Empty(t, n.ran, "nothing ran inside the node")
}

// diedOf waits for a process's Wait result on done and checks that sig
// ended it.
func diedOf(t *testing.T, done <-chan error, sig syscall.Signal) {
	t.Helper()
	select {
	case err := <-done:
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, sig, ee.Sys().(syscall.WaitStatus).Signal())
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not reach the process", sig)
	}
}
