package kube

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/harness/resilience"
)

// A server sidecar killed inside its pod (kill server-proxy): the
// meshproxy container's process gets SIGKILL from the node (the
// Signaller), the pod and its network namespace stay, and the kubelet
// restarts the container under the pod's restartPolicy (Always, a
// Deployment's, when the scenario kills the sidecar:
// platform.MeshOptions.SidecarRestart). The restarted sidecar has no
// listener of its own (injected without --inbound when meshcontrol
// runs): it serves again only once meshcontrol has configured it over
// xDS. Kubernetes, not the harness, decides when it is back, so Restart
// at the fault's `until` waits for the kubelet's restart and the pod's
// readiness and says when the container started.

// sidecarKill is what Kill saw of the pod before the signal.
type sidecarKill struct {
	at                    time.Time
	id                    string // the killed container's id
	restarts, appRestarts int32  // restart counts of the sidecar and the app container
}

// killSidecar sends SIGKILL to the app pod's sidecar process and returns
// once the kubelet has seen it die (the container's id or restart count
// moved, or it is terminated).
func (t *topology) killSidecar(ctx context.Context) (string, error) {
	pods := t.p.cs.CoreV1().Pods(t.ns)
	pod, err := pods.Get(ctx, "app", metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("kill server-proxy: %w", err)
	}
	side, app := containerStatus(pod, inject.ContainerName), containerStatus(pod, "app")
	if side == nil || app == nil || side.State.Terminated != nil {
		return "", fmt.Errorf("kill server-proxy: pod %s/app has no running %s container", t.ns, inject.ContainerName)
	}
	k := &sidecarKill{at: time.Now(), id: side.ContainerID, restarts: side.RestartCount, appRestarts: app.RestartCount}
	t.faultMu.Lock()
	delete(t.containers, "app/"+inject.ContainerName) // its restart runs another container
	t.sidecarKilled = k
	t.faultMu.Unlock()
	what, err := t.signalContainer(ctx, resilience.KindKill, "app", inject.ContainerName, "KILL")
	if err != nil {
		return "", err
	}
	_, err = t.awaitPods(ctx, podWait{pods: []string{"app"}, awaited: "seen by the kubelet with its " + inject.ContainerName + " container dead after SIGKILL (" + what + ")",
		timeout: killWait, every: 100 * time.Millisecond,
		check: func(pod *corev1.Pod, getErr error) (bool, string, error) {
			if getErr != nil {
				return false, getErr.Error(), nil
			}
			st := containerStatus(pod, inject.ContainerName)
			if st != nil && (st.ContainerID != k.id || st.RestartCount > k.restarts || st.State.Terminated != nil) {
				return true, "", nil
			}
			return false, fmt.Sprintf("container %s still reported running", k.id), nil
		}})
	if err != nil {
		return "", fmt.Errorf("kill server-proxy: %w", err)
	}
	return what, nil
}

// sidecarRestarted waits until the kubelet has restarted the killed
// sidecar and the pod is Ready again (the sidecar's /ready: configured by
// meshcontrol), and checks that the app container was not restarted with
// it.
func (t *topology) sidecarRestarted(ctx context.Context) (string, error) {
	t.faultMu.Lock()
	k := t.sidecarKilled
	t.sidecarKilled = nil
	t.faultMu.Unlock()
	if k == nil {
		return "", fmt.Errorf("restart server-proxy: it was not killed by a fault")
	}
	pods, err := t.awaitPods(ctx, podWait{pods: []string{"app"}, awaited: "Ready with its " + inject.ContainerName + " container restarted by the kubelet",
		timeout: readyTimeout, every: 100 * time.Millisecond,
		check: func(pod *corev1.Pod, getErr error) (bool, string, error) {
			if getErr != nil {
				return false, getErr.Error(), nil
			}
			side, app := containerStatus(pod, inject.ContainerName), containerStatus(pod, "app")
			if app != nil && app.RestartCount != k.appRestarts {
				return false, "", fmt.Errorf("the app container restarted too (%d -> %d)", k.appRestarts, app.RestartCount)
			}
			return side != nil && side.RestartCount > k.restarts && side.State.Running != nil && side.Ready && PodReady(pod), PodNotReady(pod), nil
		}})
	if err != nil {
		return "", fmt.Errorf("restart server-proxy: %w", err)
	}
	side := containerStatus(pods["app"], inject.ContainerName)
	return fmt.Sprintf("container %s of pod app restarted by the kubelet (restart %d, started %s), pod Ready",
		inject.ContainerName, side.RestartCount, side.State.Running.StartedAt.UTC().Format(time.TimeOnly)), nil
}

// sidecarAlive: the sidecar container runs and is ready.
func (t *topology) sidecarAlive() bool {
	pod, err := t.p.cs.CoreV1().Pods(t.ns).Get(context.Background(), "app", metav1.GetOptions{})
	if err != nil {
		return false
	}
	st := containerStatus(pod, inject.ContainerName)
	return st != nil && st.State.Running != nil && st.Ready
}

// supportsSidecarKill says whether kill server-proxy can be done here.
func (t *topology) supportsSidecarKill() error {
	switch {
	case !t.serverSide || t.spec.Graph != nil:
		return t.unsupported("lane %s has no server sidecar in an app pod", laneName(t.spec))
	case t.p.opts.Signaller == nil:
		return t.unsupported("Kubernetes has no API to kill one container of a pod; the harness signals the sidecar's process from its node, which it may only on a kind cluster it created, never on the machines of an existing cluster")
	case !t.spec.Mesh.SidecarRestart:
		return t.unsupported("the app pod restarts nothing (restartPolicy %s) unless the scenario kills its sidecar (platform.MeshOptions.SidecarRestart)", corev1.RestartPolicyNever)
	}
	return nil
}

// isSidecar reports whether a fault's component is the server sidecar.
func isSidecar(name string) bool { return name == "server-proxy" }
