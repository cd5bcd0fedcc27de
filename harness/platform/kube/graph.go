package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/platform/graphmesh"
	"github.com/meshbench/meshbench/harness/results"
)

// Labels of a service graph's pods: every one is app=graph (the load
// clients keep away from them), each names its service.
const (
	graphApp          = "graph"
	graphServiceLabel = "meshbench.io/graph-service"
	// graphOutboundBase is the first port of a graph sidecar's outbound
	// listeners on its pod's loopback, one per callee.
	graphOutboundBase = 16000
	// adminPort is the sidecar's admin server (inject's default), on the
	// pod's loopback: its /metrics is read through a port-forward.
	adminPort = 15000
)

// graphPodName is the pod and Service of a graph service: prefixed, so no
// service name collides with the harness's own (loadgen, meshcontrol).
func graphPodName(service string) string { return "svc-" + service }

// checkGraphNames refuses a graph whose service names Kubernetes cannot
// carry, naming the service (isotope itself only runs DNS-label names).
func checkGraphNames(g *graph.Graph) error {
	for _, s := range g.Services {
		if errs := validation.IsDNS1035Label(graphPodName(s.Name)); len(errs) > 0 {
			return fmt.Errorf("graph service %q cannot be a Kubernetes Service %q: %s", s.Name, graphPodName(s.Name), errs[0])
		}
		if errs := validation.IsValidLabelValue(s.Name); len(errs) > 0 {
			return fmt.Errorf("graph service %q cannot be a label value: %s", s.Name, errs[0])
		}
	}
	return nil
}

// upGraph brings up a service graph in place of the single app: per
// service a pod running `meshbench graphsvc` (with its sidecar in the mesh
// lane) and a Service; the mesh lane's sidecars are configured by
// meshcontrol from graphmesh.Mesh, each sidecar's inbound listener on its
// pod IP and its outbound listeners on the pod's loopback. It returns the
// entry service's address for the load clients.
func (t *topology) upGraph(ctx context.Context, pl placement, icfg inject.Config, meshed bool) (string, error) {
	g := t.spec.Graph
	if err := checkGraphNames(g); err != nil {
		return "", err
	}
	cs := t.p.cs
	clusterIP := map[string]string{}
	for _, s := range g.Services {
		name := graphPodName(s.Name)
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": graphApp, graphServiceLabel: s.Name}},
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{graphServiceLabel: s.Name},
				Ports:    []corev1.ServicePort{{Name: "http", Port: appPort, TargetPort: intstr.FromInt(appPort), AppProtocol: ptr(graphAppProtocol(&s))}},
			},
		}
		svc, err := cs.CoreV1().Services(t.ns).Create(ctx, svc, metav1.CreateOptions{})
		if err != nil {
			return "", fmt.Errorf("create service %s: %w", name, err)
		}
		clusterIP[s.Name] = net.JoinHostPort(svc.Spec.ClusterIP, fmt.Sprint(appPort))
	}
	for _, s := range g.Services {
		pod, err := t.graphPod(ctx, g, s, clusterIP, icfg, meshed)
		if err != nil {
			return "", err
		}
		pl.apply(&pod.Spec, "server", map[string]string{"app": "loadgen"})
		if _, err := cs.CoreV1().Pods(t.ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			return "", fmt.Errorf("create pod %s: %w", pod.Name, err)
		}
		t.graphPods = append(t.graphPods, pod.Name)
		t.members = append(t.members, member{pod.Name, "app", s.Name, results.RoleApp})
		if meshed {
			t.members = append(t.members, member{pod.Name, inject.ContainerName, graphmesh.ProxyID(s.Name), results.RoleServerProxy})
		}
	}
	if !meshed {
		return clusterIP[g.Entry], nil
	}
	// The sidecars' inbound listeners are their pods' IPs: meshcontrol's
	// endpoints, known once the pods are scheduled.
	a := graphmesh.Addrs{App: map[string]string{}, Inbound: map[string]string{}, Outbound: map[string][]string{},
		Entry: fmt.Sprintf("127.0.0.1:%d", outboundPort)}
	for _, s := range g.Services {
		ip, err := t.waitPodIP(ctx, graphPodName(s.Name))
		if err != nil {
			return "", err
		}
		a.App[s.Name] = fmt.Sprintf("127.0.0.1:%d", appPort)
		a.Inbound[s.Name] = net.JoinHostPort(ip, fmt.Sprint(inboundPort))
		a.Outbound[s.Name] = graphOutbound(s)
	}
	m := graphmesh.Mesh(g, a, t.spec.Case.MTLS)
	if err := t.writeMeshFile(ctx, m); err != nil {
		return "", fmt.Errorf("meshcontrol: %w", err)
	}
	return clusterIP[g.Entry], nil
}

// graphOutbound are s's sidecar's outbound listeners, one per callee, as
// its app calls them.
func graphOutbound(s graph.Service) []string {
	var out []string
	for i := range s.Callees() {
		out = append(out, fmt.Sprintf("127.0.0.1:%d", graphOutboundBase+i))
	}
	return out
}

func graphAppProtocol(s *graph.Service) string {
	if s.Type == graph.TypeGRPC {
		return "kubernetes.io/h2c"
	}
	return "http"
}

// graphPod is service s's pod: graphsvc with its script and where its
// callees are (their sidecar-side listeners in the mesh lane, their
// Services otherwise; with no mesh the app picks a split's version).
func (t *topology) graphPod(ctx context.Context, g *graph.Graph, s graph.Service, clusterIP map[string]string, icfg inject.Config, meshed bool) (*corev1.Pod, error) {
	o := graph.OptionsOf(&s)
	o.Downstreams = map[string]string{}
	out := graphOutbound(s)
	for i, c := range s.Callees() {
		sp := g.Split(c)
		callee := g.Service(c)
		if sp != nil {
			callee = g.Service(sp.Versions[0].Service) // one type for all versions
		}
		switch {
		case meshed:
			o.Downstreams[c] = graph.DownstreamURL(callee, out[i])
		case sp == nil:
			o.Downstreams[c] = graph.DownstreamURL(callee, clusterIP[c])
		default:
			if o.Splits == nil {
				o.Splits = map[string][]graph.Target{}
			}
			for _, v := range sp.Versions {
				o.Splits[c] = append(o.Splits[c], graph.Target{URL: graph.DownstreamURL(g.Service(v.Service), clusterIP[v.Service]), Weight: v.Weight})
			}
		}
	}
	spec, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", s.Name, err)
	}
	name := graphPodName(s.Name)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": graphApp, graphServiceLabel: s.Name}, Annotations: map[string]string{}},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr(int64(2)),
			Containers: []corev1.Container{{
				Name: "app", Image: t.p.opts.Images.Meshbench, ImagePullPolicy: corev1.PullIfNotPresent,
				Args:           []string{"graphsvc", "--listen", fmt.Sprintf("0.0.0.0:%d", appPort), "--spec", string(spec)},
				Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: appPort}},
				ReadinessProbe: httpReady("/healthz", appPort),
				Resources:      requests(workloadCPU),
			}},
		},
	}
	if !meshed {
		return pod, nil
	}
	pod.Annotations[inject.AnnotationInject] = "true"
	pod.Annotations[inject.AnnotationAppPort] = fmt.Sprint(appPort)
	scfg, err := t.sidecarConfig(ctx, icfg, graphmesh.ProxyID(s.Name))
	if err != nil {
		return nil, err
	}
	if _, err := inject.Pod(&pod.ObjectMeta, &pod.Spec, scfg); err != nil {
		return nil, err
	}
	return pod, nil
}

// GraphStats implements platform.GraphStats: every service's counters,
// read from its app (not through its sidecar) by the API server's pod
// proxy.
func (t *topology) GraphStats(ctx context.Context) (map[string]graph.Stats, error) {
	if t.spec.Graph == nil {
		return nil, nil
	}
	hc, err := t.httpClient()
	if err != nil {
		return nil, err
	}
	out := map[string]graph.Stats{}
	for _, s := range t.spec.Graph.Services {
		u := t.podProxyURL(graphPodName(s.Name), appPort) + "/stats"
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("service %s: stats: %w", s.Name, err)
		}
		var st graph.Stats
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("service %s: stats: %s", s.Name, resp.Status)
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("service %s: stats: %w", s.Name, err)
		}
		out[s.Name] = st
	}
	return out, nil
}

// GraphHops implements platform.GraphHops: nil in the none lane.
func (t *topology) GraphHops() *platform.HopMetrics { return t.hops }

// forwardAdmins opens a port-forward to every graph sidecar's admin port
// (kept until Down) and sets where each edge's latency is read.
func (t *topology) forwardAdmins(ctx context.Context) error {
	admins := map[string]string{}
	for _, s := range t.spec.Graph.Services {
		addr, stop, err := t.p.opts.PortForward(ctx, t.ns, graphPodName(s.Name), adminPort)
		if err != nil {
			return fmt.Errorf("sidecar of %s: %w", s.Name, err)
		}
		t.stops = append(t.stops, stop)
		admins[s.Name] = addr
	}
	t.hops = graphmesh.Hops(t.spec.Graph, func(svc string) string { return "http://" + admins[svc] + "/metrics" })
	return nil
}
