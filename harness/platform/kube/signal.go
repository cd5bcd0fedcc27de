package kube

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/harness/resilience"
)

// Signaller delivers a signal to one container's process from the node
// that runs it. Kubernetes has no API for it (and the meshbench image,
// FROM scratch, has no shell to exec one), so only a platform that owns
// its nodes can: kind, whose nodes are Docker containers the harness
// created (harness/platform/kind). On a cluster the harness does not own
// the Signaller is nil and the faults that need one are unsupported.
//
// Signal must be safe for concurrent use; it returns once the signal is
// delivered (for STOP: once the process is stopped).
type Signaller interface {
	// Signal sends sig (STOP, CONT, USR1, USR2, KILL: kill(1)'s names) to the
	// main process of the container with CRI id containerID on node and
	// returns what it did ("pid 1234 on node-a (SIGSTOP)").
	Signal(ctx context.Context, node, containerID, sig string) (string, error)
}

// appContainer is where a pod's container runs: its node and CRI id.
type appContainer struct{ node, id string }

// signalContainer sends sig to container ctr of pod podName. The
// container's node and id are looked up once per pod and container (a
// Kill forgets them), so that a fault's end is one signal, not an API
// call and then a signal.
func (t *topology) signalContainer(ctx context.Context, kind, podName, ctr, sig string) (string, error) {
	key := podName + "/" + ctr
	t.faultMu.Lock()
	c, ok := t.containers[key]
	t.faultMu.Unlock()
	if !ok {
		pod, err := t.p.cs.CoreV1().Pods(t.ns).Get(ctx, podName, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("%s %s: %w", kind, podName, err)
		}
		c.node = pod.Spec.NodeName
		if st := containerStatus(pod, ctr); st != nil && st.State.Terminated == nil {
			_, c.id, _ = strings.Cut(st.ContainerID, "://")
		}
		if c.id == "" || c.node == "" {
			return "", fmt.Errorf("%s %s: pod %s/%s has no running %s container", kind, podName, t.ns, podName, ctr)
		}
		t.faultMu.Lock()
		if t.containers == nil {
			t.containers = map[string]appContainer{}
		}
		t.containers[key] = c
		t.faultMu.Unlock()
	}
	what, err := t.p.opts.Signaller.Signal(ctx, c.node, c.id, sig)
	if err != nil {
		return what, fmt.Errorf("%s %s: %w", kind, podName, err)
	}
	return fmt.Sprintf("pod %s container %s: %s", podName, ctr, what), nil
}

// signalApp signals the app container of an app pod, a fault the topology
// supports.
func (t *topology) signalApp(ctx context.Context, kind, podName, sig string) (string, error) {
	if err := t.Supports(kind, podName); err != nil {
		return "", err
	}
	return t.signalContainer(ctx, kind, podName, "app", sig)
}

// containerStatus is the status of pod's container name, or nil.
func containerStatus(pod *corev1.Pod, name string) *corev1.ContainerStatus {
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == name {
			return &pod.Status.ContainerStatuses[i]
		}
	}
	return nil
}

// Pause implements resilience.Faultable: SIGSTOP to the app container's
// process (it keeps its sockets and answers nothing), through the node.
func (t *topology) Pause(ctx context.Context, name string) (string, error) {
	return t.signalApp(ctx, resilience.KindPause, name, "STOP")
}

// Resume implements resilience.Faultable: SIGCONT.
func (t *topology) Resume(ctx context.Context, name string) (string, error) {
	return t.signalApp(ctx, resilience.KindPause, name, "CONT")
}

// Fail implements resilience.Faultable: SIGUSR1 to one app replica's
// process, which then answers every request with its --fail-status.
func (t *topology) Fail(ctx context.Context, name string) (string, error) {
	return t.signalApp(ctx, resilience.KindFail, name, "USR1")
}

// Heal implements resilience.Faultable: SIGUSR2, the replica echoes again.
func (t *topology) Heal(ctx context.Context, name string) (string, error) {
	return t.signalApp(ctx, resilience.KindFail, name, "USR2")
}
