package kube

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshbench/meshbench/harness/platform"
)

// A graceful restart of the app (restart app), what `kubectl rollout
// restart` of a one-replica Deployment does (maxSurge 1, maxUnavailable
// 0), with the harness as the Deployment controller, as for kill (the
// pods are bare Pods): a new pod from the app pod's spec, and once it is
// Ready the old pod deleted with its grace period. Its preStop hook
// (gracefulStop) keeps its containers serving while its EndpointSlice
// endpoint is terminating and serving, which meshcontrol sends to the
// proxies as DRAINING: no new requests, those in flight complete. Then
// the kubelet sends SIGTERM. No request may fail.

// Seconds of the graceful stop: the preStop sleep, long enough for the
// endpoint's change to reach the client sidecar through the EndpointSlice
// controller, meshcontrol and xDS on a loaded machine, inside the grace
// period.
const (
	preStopSeconds = 3
	graceSeconds   = 10
)

// gracefulStop gives every container of an app pod the preStop sleep
// (the kubelet's own sleep action: the images have no shell) and the
// grace period.
func gracefulStop(spec *corev1.PodSpec) {
	spec.TerminationGracePeriodSeconds = ptr(int64(graceSeconds))
	for i := range spec.Containers {
		spec.Containers[i].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: preStopSeconds}}}
	}
}

// replacedPod is the old app pod a graceful restart deleted.
type replacedPod struct {
	name string
	uid  types.UID
	at   time.Time
}

// supportsRestart says whether restart app can be done here.
func (t *topology) supportsRestart(name string) error {
	switch {
	case name != "app" || len(t.apps) != 1 || t.spec.Graph != nil:
		return t.unsupported("a graceful restart restarts the single app pod (lanes none and mesh, no app_replicas), not %q", name)
	case t.spec.Lane == platform.LaneMesh && !t.xds:
		return t.unsupported("without meshcontrol the sidecars call fixed addresses, and nothing drains the old pod")
	case !t.spec.Mesh.AppGracefulStop:
		return t.unsupported("the app pod was started without its preStop (platform.MeshOptions.AppGracefulStop)")
	}
	return nil
}

// Replace implements resilience.Faultable: the new app pod is created
// and Ready, then the old one is deleted gracefully.
func (t *topology) Replace(ctx context.Context, name string) (string, error) {
	if err := t.supportsRestart(name); err != nil {
		return "", err
	}
	pods := t.p.cs.CoreV1().Pods(t.ns)
	t.faultMu.Lock()
	t.rollouts++
	newName := fmt.Sprintf("app-r%d", t.rollouts)
	t.faultMu.Unlock()
	old, err := pods.Get(ctx, "app", metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("restart app: %w", err)
	}
	start := time.Now()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: newName, Namespace: old.Namespace, Labels: old.Labels, Annotations: old.Annotations}, Spec: *old.Spec.DeepCopy()}
	pod.Spec.NodeName = "" // placed by the scheduler, as a controller's pod is
	pod.Spec.Priority, pod.Spec.PreemptionPolicy = nil, nil
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("restart app: create pod %s: %w", newName, err)
	}
	ready, err := t.waitReady(ctx, newName)
	if err != nil {
		return "", fmt.Errorf("restart app: %w", err)
	}
	np := ready[newName]
	readyAfter := time.Since(start)
	uid := old.UID
	if err := pods.Delete(ctx, "app", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil {
		return "", fmt.Errorf("restart app: delete pod app: %w", err)
	}
	t.faultMu.Lock()
	t.replaced = &replacedPod{name: "app", uid: uid, at: time.Now()}
	t.faultMu.Unlock()
	grace := int64(0)
	if g := old.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = *g
	}
	return fmt.Sprintf("pod %s uid %s on %s, IP %s, Ready after %s; pod app uid %s deleted with grace %ds (preStop: terminating, still serving)",
		newName, np.UID, np.Spec.NodeName, np.Status.PodIP, readyAfter.Round(time.Millisecond), uid, grace), nil
}

// Replaced implements resilience.Faultable: it waits until the old app
// pod is gone.
func (t *topology) Replaced(ctx context.Context, name string) (string, error) {
	t.faultMu.Lock()
	r := t.replaced
	t.replaced = nil
	t.faultMu.Unlock()
	if r == nil {
		return "", fmt.Errorf("restart %s: no pod was replaced", name)
	}
	if err := t.waitGone(ctx, r.name, r.uid); err != nil {
		return "", fmt.Errorf("restart %s: %w", name, err)
	}
	return fmt.Sprintf("pod %s gone %s after its deletion", r.name, time.Since(r.at).Round(100*time.Millisecond)), nil
}
