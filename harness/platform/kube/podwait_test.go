package kube

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

func waitPod(name string, uid types.UID, phase corev1.PodPhase, ready bool) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns1", UID: uid},
		Status: corev1.PodStatus{Phase: phase, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st, Reason: "ContainersNotReady"}}}}
}

// TestAwaitPods: the one pod wait ends when every pod is done in one look,
// at once when a check says the pod can never be (a failed pod), and
// at its bound with an error naming each pod and namespace, what was
// awaited, the bound and where each pod stood; a cancelled context ends
// it with the context's error.
func TestAwaitPods(t *testing.T) {
	crashed := waitPod("app", "u1", corev1.PodRunning, false)
	crashed.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off"}}}}
	short := func(w podWait) podWait { w.timeout, w.every = 300*time.Millisecond, 10*time.Millisecond; return w }
	tests := []struct {
		name    string
		pods    []*corev1.Pod
		wait    podWait
		wantErr []string // substrings; none: no error
		fast    bool     // the error comes before the bound
	}{
		{"both Ready", []*corev1.Pod{waitPod("app", "u1", corev1.PodRunning, true), waitPod("loadgen", "u2", corev1.PodRunning, true)},
			short(readyWait("app", "loadgen")), nil, false},
		{"one not Ready", []*corev1.Pod{waitPod("app", "u1", corev1.PodRunning, true), waitPod("loadgen", "u2", corev1.PodPending, false)},
			short(readyWait("app", "loadgen")),
			[]string{"waiting for pods ns1/app, ns1/loadgen to be Ready: not within 300ms; last seen: loadgen: Pending, Ready ContainersNotReady"}, false},
		{"one missing", []*corev1.Pod{waitPod("app", "u1", corev1.PodRunning, true)},
			short(readyWait("app", "loadgen")), []string{`to be Ready: not within 300ms; last seen: pods "loadgen" not found`}, false},
		{"crashed ends the wait", []*corev1.Pod{crashed}, readyWait("app"), []string{"pod app container app: CrashLoopBackOff: back-off"}, true},
		{"succeeded ends the wait", []*corev1.Pod{waitPod("app", "u1", corev1.PodSucceeded, false)}, readyWait("app"), []string{"pod app Succeeded"}, true},
		{"gone", nil, short(goneWait("app", "u1")), nil, false},
		{"replaced by another uid", []*corev1.Pod{waitPod("app", "u2", corev1.PodPending, false)}, short(goneWait("app", "u1")), nil, false},
		{"still there", []*corev1.Pod{waitPod("app", "u1", corev1.PodRunning, true)}, short(goneWait("app", "u1")),
			[]string{"waiting for pod ns1/app to be gone after its deletion: not within 300ms; last seen: app: uid u1 still there, deletion requested never"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset()
			for _, p := range tt.pods {
				_, err := cs.CoreV1().Pods("ns1").Create(context.Background(), p, metav1.CreateOptions{})
				require.NoError(t, err)
			}
			tp := &topology{p: &Platform{cs: cs}, ns: "ns1"}
			start := time.Now()
			got, err := tp.awaitPods(context.Background(), tt.wait)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Len(t, got, len(tt.wait.pods))
				return
			}
			require.Error(t, err)
			for _, s := range tt.wantErr {
				assert.ErrorContains(t, err, s)
			}
			if tt.fast {
				assert.Less(t, time.Since(start), tt.wait.timeout/2, "a pod that can never be Ready ends the wait at once")
			} else {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			}
		})
	}
}

// TestAwaitPodsSeesAChange: a pod that turns Ready while the wait runs
// ends it; a cancelled context ends it with context.Canceled, naming the
// pod, not a bound that did not expire.
func TestAwaitPodsSeesAChange(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(waitPod("app", "u1", corev1.PodPending, false))
	tp := &topology{p: &Platform{cs: cs}, ns: "ns1"}
	w := readyWait("app")
	w.every = 10 * time.Millisecond
	done := make(chan error, 1)
	go func() { _, err := tp.awaitPods(ctx, w); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("returned before the pod was Ready: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	_, err := cs.CoreV1().Pods("ns1").UpdateStatus(ctx, waitPod("app", "u1", corev1.PodRunning, true), metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, <-done)

	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err = tp.awaitPods(cctx, goneWait("app", "u1"))
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Equal(t, "waiting for pod ns1/app to be gone after its deletion: context canceled; last seen: app: uid u1 still there, deletion requested never", err.Error())
}
