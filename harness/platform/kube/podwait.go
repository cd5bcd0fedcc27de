package kube

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshbench/meshbench/internal/await"
)

// podWait is one wait for pods of the lane's namespace: the pods, what is
// awaited of them, within which bound and how often to look. Every wait
// of the platform (Ready, an IP, gone, a container restarted) is one, so
// that they share one loop (awaitPods, over internal/await) and one
// form of timeout error: the pods, the namespace, what was awaited, the
// bound, and where each pod stood.
type podWait struct {
	pods    []string
	awaited string // completes "waiting for pod NS/NAME to be ...": "Ready", "given an IP"
	timeout time.Duration
	every   time.Duration
	// check judges one pod as a Get returned it (nil and the Get's error
	// when it failed; a failed Get never ends the wait by itself). done:
	// the pod reached what is awaited; why: where it stands if not, for
	// the timeout's error; a non-nil err ends the wait at once (the pod
	// failed, or something that must not happen did).
	check func(pod *corev1.Pod, getErr error) (done bool, why string, err error)
}

// awaitPods looks at every pod of w each w.every until all are done in
// one look, and returns the pods of that look. The bound's expiry is an
// error (internal/await's) naming each pod not done and why; a cancelled
// ctx ends the wait with ctx's error, wrapped with what was awaited.
func (t *topology) awaitPods(ctx context.Context, w podWait) (map[string]*corev1.Pod, error) {
	var out map[string]*corev1.Pod
	err := await.Until(ctx, t.podList(w.pods)+" to be "+w.awaited, w.every, w.timeout, func(ctx context.Context) (bool, string, error) {
		out = map[string]*corev1.Pod{}
		var waiting []string
		for _, name := range w.pods {
			pod, getErr := t.p.cs.CoreV1().Pods(t.ns).Get(ctx, name, metav1.GetOptions{})
			if getErr != nil {
				pod = nil
			}
			done, why, err := w.check(pod, getErr)
			switch {
			case err != nil:
				return false, "", err
			case done:
				out[name] = pod
			default:
				waiting = append(waiting, why)
			}
		}
		return len(waiting) == 0, strings.Join(waiting, "; "), nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// podList names pods with their namespace: "pod NS/A" or "pods NS/A, NS/B".
func (t *topology) podList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = t.ns + "/" + n
	}
	if len(q) == 1 {
		return "pod " + q[0]
	}
	return "pods " + strings.Join(q, ", ")
}

// waitReady waits until every named pod is Ready and returns them; a pod
// that failed or whose container crashed ends the wait with its reason.
func (t *topology) waitReady(ctx context.Context, names ...string) (map[string]*corev1.Pod, error) {
	return t.awaitPods(ctx, readyWait(names...))
}

func readyWait(names ...string) podWait {
	return podWait{pods: names, awaited: "Ready", timeout: readyTimeout, every: 500 * time.Millisecond,
		check: func(pod *corev1.Pod, getErr error) (bool, string, error) {
			switch {
			case getErr != nil:
				return false, getErr.Error(), nil
			case podFailed(pod) != nil:
				return false, "", podFailed(pod)
			}
			return PodReady(pod), PodNotReady(pod), nil
		}}
}

// waitPodIP waits until the named pod has an IP.
func (t *topology) waitPodIP(ctx context.Context, name string) (string, error) {
	pods, err := t.awaitPods(ctx, podWait{pods: []string{name}, awaited: "given an IP", timeout: readyTimeout, every: 200 * time.Millisecond,
		check: func(pod *corev1.Pod, getErr error) (bool, string, error) {
			if getErr != nil {
				return false, getErr.Error(), nil
			}
			return pod.Status.PodIP != "", PodNotReady(pod), nil
		}})
	if err != nil {
		return "", err
	}
	return pods[name].Status.PodIP, nil
}

// killWait bounds the wait for a killed pod to leave the API server, and
// for a killed container to be seen dead by the kubelet.
const killWait = 30 * time.Second

// waitGone waits until the API server has no pod podName of that uid (none,
// or a replacement of another uid).
func (t *topology) waitGone(ctx context.Context, podName string, uid types.UID) error {
	_, err := t.awaitPods(ctx, goneWait(podName, uid))
	return err
}

func goneWait(podName string, uid types.UID) podWait {
	return podWait{pods: []string{podName}, awaited: "gone after its deletion", timeout: killWait, every: 100 * time.Millisecond,
		check: func(pod *corev1.Pod, getErr error) (bool, string, error) {
			switch {
			case apierrors.IsNotFound(getErr):
				return true, "", nil
			case getErr != nil:
				return false, getErr.Error(), nil
			case pod.UID != uid:
				return true, "", nil
			}
			return false, fmt.Sprintf("%s: uid %s still there, deletion requested %s", podName, uid, deletionAt(pod)), nil
		}}
}

func deletionAt(pod *corev1.Pod) string {
	if pod.DeletionTimestamp == nil {
		return "never"
	}
	return "at " + pod.DeletionTimestamp.UTC().Format(time.TimeOnly)
}
