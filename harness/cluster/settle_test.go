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
	assert.EqualError(t, err, "waiting for kube-system pods to be Ready: not within 300ms; last seen: not Ready: coredns-1")

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
	assert.EqualError(t, err, "waiting for kube-system pods to be Ready: not within 100ms; last seen: no pods yet")
}

func node(name string, ready bool) *corev1.Node {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}}}}
}

// TestWaitNodesReady: cluster create's message when a node never turns
// Ready names it and the bound; a Ctrl-C ends the wait at once.
func TestWaitNodesReady(t *testing.T) {
	cs := fake.NewClientset(node("mb-control-plane", true), node("mb-worker", false))
	err := waitNodesReady(context.Background(), cs, 300*time.Millisecond)
	assert.EqualError(t, err, "waiting for nodes to be Ready: not within 300ms; last seen: not Ready: mb-worker")

	require.NoError(t, waitNodesReady(context.Background(), fake.NewClientset(node("mb-control-plane", true)), time.Second))

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	err = waitNodesReady(ctx, fake.NewClientset(), time.Hour)
	assert.EqualError(t, err, "waiting for nodes to be Ready: context canceled; last seen: no nodes registered")
	assert.Less(t, time.Since(start), 10*time.Second)
}
