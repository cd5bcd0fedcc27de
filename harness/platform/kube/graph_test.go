package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/graph/isotope"
	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// a -> b -> r (a 50/50 split over r1, r2).
const testTopology = `services:
- name: a
  isEntrypoint: true
  script: [{call: b}]
- name: b
  script: [{call: r}]
- name: r1
- name: r2
splits:
- name: r
  versions: [{service: r1, weight: 50}, {service: r2, weight: 50}]
`

func testGraph(t *testing.T) *graph.Graph {
	g, err := isotope.Parse("t.yaml", []byte(testTopology))
	require.NoError(t, err)
	return g
}

// graphCluster is fakeCluster with addresses for the graph's Services and
// pods (svc-a: 10.96.1.1, pod 10.244.1.1, ...).
func graphCluster(t *testing.T, images Images, fw PortForward) (*Platform, *k8stesting.Fake) {
	cs := fakeCluster()
	n := 0
	cs.PrependReactor("create", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
		svc := a.(k8stesting.CreateAction).GetObject().(*corev1.Service)
		if strings.HasPrefix(svc.Name, "svc-") {
			n++
			svc.Spec.ClusterIP = fmt.Sprintf("10.96.1.%d", n)
		}
		return false, nil, nil
	})
	m := 0
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		if strings.HasPrefix(pod.Name, "svc-") {
			m++
			pod.Status.PodIP = fmt.Sprintf("10.244.1.%d", m)
		}
		return false, nil, nil
	})
	p, err := New(Options{Config: &rest.Config{Host: "http://127.0.0.1:1"}, Images: images, Client: cs, Probes: fakeProbes{}, PortForward: fw})
	require.NoError(t, err)
	return p, &cs.Fake
}

func graphPodSpec(t *testing.T, pod *corev1.Pod) graph.Options {
	t.Helper()
	c := container(t, pod, "app")
	require.NotNil(t, c)
	require.Equal(t, "graphsvc", c.Args[0])
	var o graph.Options
	require.NoError(t, json.Unmarshal([]byte(c.Args[len(c.Args)-1]), &o))
	return o
}

// TestUpGraphNone: one graphsvc pod and Service per service, callers call
// their callees' Services, a split is picked by the calling app, the load
// client targets the entry service; no sidecar, no hop metrics.
func TestUpGraphNone(t *testing.T) {
	ctx := context.Background()
	p, _ := graphCluster(t, allImages, nil)
	top, err := p.Up(ctx, platform.Spec{Lane: platform.LaneNone, Graph: testGraph(t)})
	require.NoError(t, err)
	tp := top.(*topology)
	assert.Equal(t, "http://10.96.1.1:8080/", tp.target, "the entry service a")
	var names []string
	for _, pr := range top.Probes() {
		names = append(names, pr.Name()+"/"+pr.Role())
	}
	assert.Equal(t, []string{"a/app", "b/app", "r1/app", "r2/app", "loadgen/loadgen"}, names)
	pod, err := p.cs.CoreV1().Pods(tp.ns).Get(ctx, "svc-b", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Nil(t, container(t, pod, "meshproxy"))
	assert.Equal(t, "/healthz", container(t, pod, "app").ReadinessProbe.HTTPGet.Path)
	o := graphPodSpec(t, pod)
	assert.Equal(t, []graph.Target{{URL: "http://10.96.1.3:8080", Weight: 50}, {URL: "http://10.96.1.4:8080", Weight: 50}}, o.Splits["r"])
	pod, err = p.cs.CoreV1().Pods(tp.ns).Get(ctx, "svc-a", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"b": "http://10.96.1.2:8080"}, graphPodSpec(t, pod).Downstreams)
	assert.Nil(t, tp.GraphHops())
	// The load client keeps away from every graph pod.
	lg, err := p.cs.CoreV1().Pods(tp.ns).Get(ctx, "loadgen", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"app": "graph"},
		lg.Spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm.LabelSelector.MatchLabels)
}

// TestUpGraphMesh: every service's sidecar has its own xDS node id and
// token, meshcontrol's mesh file holds each service's sidecar on its pod
// IP and the split's weights, the load client goes through its sidecar,
// and each edge's latency is read from the sidecars' /metrics through the
// port-forward: a real client_golang histogram served by a real server
// stands for a sidecar's admin port.
func TestUpGraphMesh(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "meshproxy_request_duration_seconds", Buckets: []float64{0.001, 0.01}},
		[]string{"direction", "destination"})
	reg.MustRegister(h)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	var forwarded []string
	stopped := 0
	fw := func(_ context.Context, ns, pod string, port int) (string, func(), error) {
		forwarded = append(forwarded, fmt.Sprintf("%s:%d", pod, port))
		return strings.TrimPrefix(srv.URL, "http://"), func() { stopped++ }, nil
	}
	p, _ := graphCluster(t, allImages, fw)
	top, err := p.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth, Graph: testGraph(t)})
	require.NoError(t, err)
	tp := top.(*topology)
	assert.Equal(t, "http://127.0.0.1:15001/", tp.target)
	var names []string
	for _, pr := range top.Probes() {
		names = append(names, pr.Name()+"/"+pr.Role())
	}
	assert.Equal(t, []string{"control-plane/control-plane", "a/app", "a-proxy/server-proxy", "b/app", "b-proxy/server-proxy",
		"r1/app", "r1-proxy/server-proxy", "r2/app", "r2-proxy/server-proxy", "loadgen/loadgen", "client-proxy/client-proxy"}, names)

	pod, err := p.cs.CoreV1().Pods(tp.ns).Get(ctx, "svc-b", metav1.GetOptions{})
	require.NoError(t, err)
	side := container(t, pod, "meshproxy")
	require.NotNil(t, side)
	assert.Equal(t, []string{"--id", "b-proxy"}, side.Args[:2], "the sidecar's xDS node id is its service's")
	assert.Equal(t, map[string]string{"r": "http://127.0.0.1:16000"}, graphPodSpec(t, pod).Downstreams, "b calls r through its sidecar")
	_, err = p.cs.CoreV1().Secrets(tp.ns).Get(ctx, sidecarTokenSecret("b-proxy"), metav1.GetOptions{})
	require.NoError(t, err, "b's sidecar has a CA token of its own")

	cm, err := p.cs.CoreV1().ConfigMaps(tp.ns).Get(ctx, meshConfigMap, metav1.GetOptions{})
	require.NoError(t, err)
	mesh, err := meshconfig.Parse("mesh.yaml", []byte(cm.Data["mesh.yaml"]))
	require.NoError(t, err, "the graph's mesh file is valid")
	byID := map[string]meshconfig.Proxy{}
	for _, px := range mesh.Proxies {
		byID[px.ID] = px
	}
	assert.Equal(t, "10.244.1.2:15006", byID["b-proxy"].Inbound.Address, "b's sidecar listens on its pod IP")
	assert.Equal(t, "127.0.0.1:8080", byID["b-proxy"].Inbound.App)
	assert.Equal(t, []meshconfig.Outbound{{Address: "127.0.0.1:16000", Service: "r"}}, byID["b-proxy"].Outbound)
	assert.Equal(t, []meshconfig.Outbound{{Address: "127.0.0.1:15001", Service: "a"}}, byID["client-proxy"].Outbound)
	require.Len(t, mesh.Policy.Routes, 1)
	assert.Equal(t, "r", mesh.Policy.Routes[0].Service)

	// Hops: every edge, split edges too, read through a port-forward to
	// each graph pod's sidecar admin port.
	hm := tp.GraphHops()
	require.NotNil(t, hm)
	assert.ElementsMatch(t, []string{"svc-a:15000", "svc-b:15000", "svc-r1:15000", "svc-r2:15000"}, forwarded)
	var edges []string
	for _, e := range hm.Hops {
		edges = append(edges, e.From+"->"+e.To)
		for _, s := range append(e.Caller, e.Callee...) {
			assert.Equal(t, srv.URL+"/metrics", s.MetricsURL)
		}
	}
	assert.Equal(t, []string{"a->b", "b->r", "r->r1", "r->r2"}, edges)
	ab := hm.Hops[0].Caller[0]
	h.WithLabelValues(hm.Outbound, ab.Cluster).Observe(0.002)
	got, err := measure.ScrapeHistograms(ctx, ab.MetricsURL, hm.Family, hm.DirectionLabel, hm.ClusterLabel)
	require.NoError(t, err)
	if assert.Contains(t, got, measure.HistKey{Direction: "outbound", Cluster: ab.Cluster}, "the edge's series, read through the forward") {
		assert.EqualValues(t, 1, got[measure.HistKey{Direction: "outbound", Cluster: ab.Cluster}].Count)
	}

	require.NoError(t, top.Down(ctx))
	assert.Equal(t, 4, stopped, "Down ends every port-forward")
}

// TestUpGraphRefused: names Kubernetes cannot carry, and a mesh lane the
// graph cannot run, fail before anything runs, naming the problem.
func TestUpGraphRefused(t *testing.T) {
	bad, err := isotope.Parse("t.yaml", []byte("services:\n- name: Front_End\n"))
	require.NoError(t, err)
	p, _ := graphCluster(t, allImages, nil)
	_, err = p.Up(context.Background(), platform.Spec{Lane: platform.LaneNone, Graph: bad})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `graph service "Front_End"`)

	p, _ = graphCluster(t, Images{Meshbench: "mb:1", Meshproxy: "mp:1"}, nil)
	_, err = p.Up(context.Background(), platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth, Graph: testGraph(t)})
	require.ErrorIs(t, err, platform.ErrLaneUnavailable)
	assert.Contains(t, err.Error(), "meshcontrol")

	// Peer lanes deploy their own app: a graph there would silently be
	// the echo app.
	p, _ = graphCluster(t, allImages, nil)
	_, err = p.Up(context.Background(), platform.Spec{Lane: "istio", Mode: platform.ModeBoth, Graph: testGraph(t)})
	require.ErrorIs(t, err, platform.ErrLaneUnavailable)
	assert.Contains(t, err.Error(), "service graph")
}
