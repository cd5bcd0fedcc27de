package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func systemPod(name string, phase corev1.PodPhase, ready bool) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system"},
		Status: corev1.PodStatus{Phase: phase, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}}}
}

// TestWaitSystemReady: the wait ends only once every kube-system pod is
// Ready (a completed one counts), and a pod that never is ends it with an
// error naming it.
func TestWaitSystemReady(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(systemPod("kube-proxy-a", corev1.PodRunning, true), systemPod("coredns-1", corev1.PodPending, false),
		systemPod("job-done", corev1.PodSucceeded, false))
	err := waitSystemReady(ctx, cs, 300*time.Millisecond, 10*time.Millisecond)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "coredns-1")
	assert.NotContains(t, err.Error(), "kube-proxy-a")
	assert.NotContains(t, err.Error(), "job-done")

	done := make(chan error, 1)
	go func() { done <- waitSystemReady(ctx, cs, 10*time.Second, 10*time.Millisecond) }()
	select {
	case err := <-done:
		t.Fatalf("returned while coredns-1 is not Ready: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	_, err = cs.CoreV1().Pods("kube-system").UpdateStatus(ctx, systemPod("coredns-1", corev1.PodRunning, true), metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, <-done)

	// No system pod at all is not a settled cluster (the API answers
	// before its controllers have created any).
	err = waitSystemReady(ctx, fake.NewClientset(), 100*time.Millisecond, 10*time.Millisecond)
	require.Error(t, err)
}
