package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

var t0 = time.Date(2026, 12, 2, 0, 29, 0, 0, time.UTC)

// quietLook is a look at second sec of a cluster with one Ready pod and
// a node that has used cores since t0.
func quietLook(sec int, cores float64) look {
	return look{at: t0.Add(time.Duration(sec) * time.Second), pods: map[string]string{"kube-system/coredns": "7"},
		cpu: map[string]float64{"mb-control-plane": cores * float64(sec)}}
}

// TestSettleJudge: the decision over consecutive looks (their times are
// the fake clock): settled once pods and CPU have stayed quiet for
// rule.quiet; a pod not Ready, a pod created, changed or deleted, or the
// node containers' CPU above the threshold restarts the quiet stretch and
// is named.
func TestSettleJudge(t *testing.T) {
	rule := settleRule{quiet: 3 * time.Second, maxCores: 0.5}
	busyCPU := func(sec int) look { return quietLook(sec, 1.4) }
	notReady := func(sec int) look {
		l := quietLook(sec, 0.2)
		l.unsettled = []string{"pod kube-system/coredns not Ready (Running)"}
		return l
	}
	changedPod := func(sec int) look { l := quietLook(sec, 0.2); l.pods["kube-system/coredns"] = "8"; return l }
	newPod := func(sec int) look { l := quietLook(sec, 0.2); l.pods["ns/app"] = "1"; return l }
	noCPU := func(sec int) look { l := quietLook(sec, 0.2); l.cpu = nil; return l }
	tests := []struct {
		name      string
		looks     []look
		settledAt int    // index of the first look that settles; -1: none
		busy      string // what the last look names, if busy
	}{
		{"quiet from the start: settled after rule.quiet", []look{quietLook(0, 0.2), quietLook(1, 0.2), quietLook(2, 0.2), quietLook(3, 0.2)}, 3, ""},
		{"one look is never enough", []look{quietLook(0, 0.2)}, -1, "no earlier look"},
		{"CPU above the threshold", []look{quietLook(0, 0.2), quietLook(1, 0.2), busyCPU(2), quietLook(3, 0.2)}, -1,
			""},
		{"busy CPU named", []look{quietLook(0, 0.2), busyCPU(1)}, -1, "node containers' CPU 1.40 cores (mb-control-plane 1.40), above 0.50"},
		{"CPU busy throughout", []look{quietLook(0, 0.2), busyCPU(1), busyCPU(2), busyCPU(3), busyCPU(4), busyCPU(5), busyCPU(6)}, -1, "above 0.50"},
		{"a pod not Ready", []look{notReady(0), notReady(1), notReady(2), notReady(3), notReady(4)}, -1, "pod kube-system/coredns not Ready (Running)"},
		{"a pod changing", []look{quietLook(0, 0.2), quietLook(1, 0.2), changedPod(2)}, -1, "pod kube-system/coredns changed"},
		{"a pod created", []look{quietLook(0, 0.2), newPod(1)}, -1, "pod ns/app created"},
		{"a pod deleted", []look{newPod(0), quietLook(1, 0.2)}, -1, "pod ns/app deleted"},
		{"a change restarts the stretch", []look{quietLook(0, 0.2), quietLook(1, 0.2), quietLook(2, 0.2), changedPod(3), changedPod(4), changedPod(5), changedPod(6)}, 6, ""},
		{"CPU unreadable: the pods decide", []look{noCPU(0), noCPU(1), noCPU(2), noCPU(3)}, 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &settleJudge{rule: rule}
			got := -1
			for i, l := range tt.looks {
				if j.observe(l) && got < 0 {
					got = i
				}
			}
			assert.Equal(t, tt.settledAt, got)
			if tt.busy != "" {
				assert.Contains(t, strings.Join(j.busy, "; "), tt.busy)
			}
		})
	}
}

// TestSettleLoop: the loop over real time and fake looks ends as soon as
// the judge settles, goes on (no error) at the bound naming what was busy,
// keeps going through a failed look, and ends with the context's error
// only when the caller cancels.
func TestSettleLoop(t *testing.T) {
	rule := settleRule{bound: 400 * time.Millisecond, quiet: 30 * time.Millisecond, every: 10 * time.Millisecond, maxCores: 0.5}
	n := 0
	fakeNow := func() time.Time { return t0.Add(time.Duration(n) * 10 * time.Millisecond) }
	quiet := func(context.Context) (look, error) {
		n++
		l := quietLook(0, 0)
		l.at = fakeNow()
		return l, nil
	}
	s, err := settle(context.Background(), rule, quiet, fakeNow)
	require.NoError(t, err)
	assert.True(t, s.ok)
	assert.Equal(t, 4, n, "settled at the fourth look: three quiet intervals of 10 ms")

	n = 0
	failing := func(ctx context.Context) (look, error) {
		n++
		if n%3 == 0 {
			return look{}, errors.New("list pods: connection refused")
		}
		return quiet(ctx)
	}
	s, err = settle(context.Background(), rule, failing, time.Now)
	require.NoError(t, err, "the bound is not an error: the run goes on")
	assert.False(t, s.ok, "a failed look every third restarts the stretch before it reaches rule.quiet")
	assert.GreaterOrEqual(t, s.took, rule.bound)

	busy := func(context.Context) (look, error) {
		l := quietLook(0, 0)
		l.at = time.Now()
		l.unsettled = []string{"pod kube-system/coredns not Ready (Pending)"}
		return l, nil
	}
	s, err = settle(context.Background(), rule, busy, time.Now)
	require.NoError(t, err)
	assert.False(t, s.ok)
	assert.Contains(t, s.busy, "pod kube-system/coredns not Ready (Pending)")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	rule.bound = time.Minute
	_, err = settle(ctx, rule, busy, time.Now)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the caller's context ends it with an error")
}

// TestClusterViewLook: a look lists every namespace's pods with their
// resourceVersion, names those not settled (a terminating one, one not
// Ready; a finished one is settled) and reads each node container's CPU
// from its cgroup (v1 cpuacct, v2 cpu.stat).
func TestClusterViewLook(t *testing.T) {
	now := metav1.Now()
	pod := func(ns, name string, phase corev1.PodPhase, ready bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: "5"}, Status: corev1.PodStatus{Phase: phase}}
		if ready {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		}
		return p
	}
	pending := pod("local-path-storage", "provisioner", corev1.PodPending, false)
	pending.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull"}}}}
	gone := pod("mb-old", "app", corev1.PodRunning, true)
	gone.DeletionTimestamp, gone.Finalizers = &now, []string{"x"}
	cs := fake.NewClientset(pod("kube-system", "coredns", corev1.PodRunning, true), pod("kube-system", "job", corev1.PodSucceeded, false),
		pending, gone)

	root := t.TempDir()
	const id1, id2 = "aaaa", "bbbb"
	write(t, filepath.Join(root, "cpuacct/docker", id1, "cpuacct.usage"), "1500000000\n")
	write(t, filepath.Join(root, "memory/docker", id1, "memory.usage_in_bytes"), "1\n")
	write(t, filepath.Join(root, "cpuacct/docker", id2, "cpuacct.usage"), "250000000\n")
	write(t, filepath.Join(root, "memory/docker", id2, "memory.usage_in_bytes"), "1\n")
	nodes, err := nodeCgroups(root, map[string]string{"mb-control-plane": id1, "mb-worker": id2})
	require.NoError(t, err)
	v := &clusterView{cs: cs, nodes: nodes, now: func() time.Time { return t0 }}
	l, err := v.look(context.Background())
	require.NoError(t, err)
	assert.Equal(t, t0, l.at)
	assert.Len(t, l.pods, 4)
	assert.Equal(t, "5", l.pods["kube-system/coredns"])
	assert.Equal(t, []string{"pod local-path-storage/provisioner not Ready (Pending, container c waiting: ErrImageNeverPull )", "pod mb-old/app terminating"}, l.unsettled)
	assert.Equal(t, map[string]float64{"mb-control-plane": 1.5, "mb-worker": 0.25}, l.cpu)

	_, err = nodeCgroups(root, map[string]string{"mb-worker2": "cccc"})
	assert.ErrorContains(t, err, "node mb-worker2: no cgroup for container cccc")
}

// TestDocsSettleRule: docs/kind.md states the settle step's bound, quiet
// stretch and CPU threshold as defaultSettle has them.
func TestDocsSettleRule(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "kind.md"))
	require.NoError(t, err)
	for _, want := range []string{
		fmt.Sprintf("The step is bounded at %.0f s.", defaultSettle.bound.Seconds()),
		fmt.Sprintf("waits until, for %.0f consecutive seconds:", defaultSettle.quiet.Seconds()),
		fmt.Sprintf("is at most %.1f cores.", defaultSettle.maxCores),
		fmt.Sprintf("read every %s from their cgroups", map[time.Duration]string{time.Second: "second"}[defaultSettle.every]),
	} {
		assert.Contains(t, strings.Join(strings.Fields(string(doc)), " "), want)
	}
}
