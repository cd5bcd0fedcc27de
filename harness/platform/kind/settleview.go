package kind

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/harness/platform/kube"
)

// clusterView makes the settle step's looks: every pod through the API
// server, each node container's CPU from its cgroup on this host (the
// node containers' own cgroups, under which every pod's nests).
type clusterView struct {
	cs    kubernetes.Interface
	nodes map[string]*cgroupProbe // by node name; empty: CPU not read
	now   func() time.Time
}

// nodeCgroups finds the cgroup of each node container (by name: its full
// Docker ID). A node not found leaves the CPU unread, with the reason.
func nodeCgroups(root string, ids map[string]string) (map[string]*cgroupProbe, error) {
	out := map[string]*cgroupProbe{}
	for name, id := range ids {
		p, err := findCgroup(root, id)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", name, err)
		}
		p.name = name
		out[name] = p
	}
	return out, nil
}

func (v *clusterView) look(ctx context.Context) (look, error) {
	l := look{at: v.now(), pods: map[string]string{}}
	pl, err := v.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return l, fmt.Errorf("list pods: %w", err)
	}
	for i := range pl.Items {
		p := &pl.Items[i]
		key := p.Namespace + "/" + p.Name
		l.pods[key] = p.ResourceVersion
		if why := unsettled(p); why != "" {
			l.unsettled = append(l.unsettled, "pod "+key+" "+why)
		}
	}
	slices.Sort(l.unsettled)
	if len(v.nodes) > 0 {
		l.cpu = map[string]float64{}
		for name, p := range v.nodes {
			s, err := p.Sample(ctx)
			if err != nil {
				return l, fmt.Errorf("node %s CPU: %w", name, err)
			}
			l.cpu[name] = s.CPUSeconds
		}
	}
	return l, nil
}

// unsettled says why a pod may still change: being deleted, or neither
// Ready nor finished (Succeeded or Failed: a finished pod does nothing
// more). Empty: settled.
func unsettled(p *corev1.Pod) string {
	switch {
	case p.DeletionTimestamp != nil:
		return "terminating"
	case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
		return ""
	}
	if kube.PodReady(p) {
		return ""
	}
	return "not Ready (" + strings.TrimPrefix(kube.PodNotReady(p), p.Name+": ") + ")"
}
