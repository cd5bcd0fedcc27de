package kube

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/meshbench/meshbench/harness/load"
)

// loadgenLabel marks every load client pod of a lane, so that several keep
// apart (pod anti-affinity) like the load client keeps away from the app.
const loadgenLabel = "meshbench.io/loadgen"

// loadgenNames are the load client pods of a lane: "loadgen" for one
// (the name every earlier result and tool knows), loadgen-0..N-1 for more.
func loadgenNames(n int) []string {
	if n <= 1 {
		return []string{"loadgen"}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("loadgen-%d", i)
	}
	return out
}

// placeLoadgen places load client i of n. The first goes to the client
// node (three-nodes.yaml) like a single one; the others have no node of
// their own in that layout, so they may go anywhere, the control-plane
// node included, while preferring strongly to avoid the other load
// clients' nodes and, less, the app's: on three nodes two clients land on
// the client and mesh nodes, never beside the server they measure.
// Where the cluster has a client node the others are *required* off it:
// the pods are created together, and a preference cannot see a load
// client the scheduler has not placed yet (the second client, scheduled
// first, chose the client node as the one without app pods, and the
// first then joined it there). Elsewhere preferred, not required: a
// one-node cluster still runs them all.
func placeLoadgen(pl placement, spec *corev1.PodSpec, i, n int, app map[string]string) {
	if n <= 1 || i == 0 {
		pl.apply(spec, "client", app)
		return
	}
	term := func(w int32, sel map[string]string) corev1.WeightedPodAffinityTerm {
		return corev1.WeightedPodAffinityTerm{Weight: w, PodAffinityTerm: corev1.PodAffinityTerm{
			LabelSelector: &metav1.LabelSelector{MatchLabels: sel}, TopologyKey: "kubernetes.io/hostname",
		}}
	}
	spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{
			term(100, map[string]string{loadgenLabel: "true"}),
			term(50, app),
		},
	}}
	if pl.roles["client"] {
		// NotIn also matches nodes without the role label.
		spec.Affinity.NodeAffinity = &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
				Key: roleLabel, Operator: corev1.NodeSelectorOpNotIn, Values: []string{"client"},
			}}}},
		}}
	}
	spec.Tolerations = append(spec.Tolerations, corev1.Toleration{
		Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule,
	})
}

// loadClients makes the API-server pod-proxy clients of the named pods.
func (t *topology) loadClients(names []string) error {
	hc, err := t.httpClient()
	if err != nil {
		return fmt.Errorf("load client transport: %w", err)
	}
	for _, n := range names {
		t.loadgens = append(t.loadgens, &load.Client{Base: t.podProxyURL(n, loadgenPort), HTTP: hc})
	}
	return nil
}

// httpClient is the API server's HTTP client (its credentials), made once.
func (t *topology) httpClient() (*http.Client, error) {
	if t.hc == nil {
		hc, err := rest.HTTPClientFor(t.p.opts.Config)
		if err != nil {
			return nil, err
		}
		t.hc = hc
	}
	return t.hc, nil
}

// podProxyURL is the API server's proxy to port of pod in the topology's
// namespace (append the path).
func (t *topology) podProxyURL(pod string, port int) string {
	return fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s:%d/proxy", strings.TrimSuffix(t.p.opts.Config.Host, "/"), t.ns, pod, port)
}

// LoadClients implements platform.LoadClienter.
func (t *topology) LoadClients() int { return len(t.loadgens) }

// LoadClientNodes implements platform.LoadClientPlacer: the node each load
// client pod ran on, in load client order.
func (t *topology) LoadClientNodes() []string { return t.loadgenNodes }

// runLoad runs one phase on every load client at once (load.RunSplit).
func (t *topology) runLoad(ctx context.Context, o load.Options) (*load.Report, error) {
	return load.RunSplit(ctx, o, t.loadgens)
}
