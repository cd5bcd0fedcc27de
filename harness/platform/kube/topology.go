package kube

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/peers"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// readyTimeout bounds the wait for a lane's pods.
const readyTimeout = 2 * time.Minute

// member is one measured container.
type member struct {
	pod, container, name, role string
}

// topology is one lane's namespace.
type topology struct {
	p        *Platform
	spec     platform.Spec
	ns       string
	target   string
	members  []member
	probes   []measure.Probe
	features *results.MeshFeatures
	loadgens []*load.Client // one per load client pod (load.clients)
	// loadgenNodes are the nodes the load client pods ran on.
	loadgenNodes []string
	down         bool
	// nodeSecret derives each sidecar's own CA token (mesh lane over xDS).
	nodeSecret string
	// peer is the installed Istio or Linkerd of a peer lane, else nil.
	peer *peers.Manifest
	// mode, serverSide, clientSide and xds: what up ran (mesh lane mode, a
	// server sidecar in the app pod, a client sidecar in the load client's,
	// meshcontrol); the fault injectors read them.
	mode       string
	serverSide bool
	clientSide bool
	xds        bool
	// faultMu guards deleted (the pods a fault deleted, by name, until
	// their restart) and inboundAddr (the NodePort address of the server
	// sidecar's inbound listener, once made).
	faultMu     sync.Mutex
	deleted     map[string]*corev1.Pod
	inboundAddr string
	// containers: the pods' containers a pause, fail or sidecar kill fault
	// signals (signal.go), by pod/container; also guarded by faultMu.
	containers map[string]appContainer
	// sidecarKilled: the server sidecar a kill fault ended, until the
	// kubelet's restart (sidecarkill.go); guarded by faultMu.
	sidecarKilled *sidecarKill
	// replaced and rollouts: the old app pod a graceful restart deleted,
	// until it is gone, and how many restarts named new pods (rollout.go);
	// guarded by faultMu.
	replaced *replacedPod
	rollouts int
	// apps are the app's pods: app, then app-2 ... app-N with
	// resilience.app_replicas (the pause and fail faults' targets).
	apps []string
	// gateway is set in the ingress modes (gateway.go).
	gateway bool
	// graphPods are a service graph's pods, one per service.
	graphPods []string
	// hops says where the graph's sidecars record each edge (mesh lane);
	// stops end the port-forwards it reads them through.
	hops  *platform.HopMetrics
	stops []func()
	hc    *http.Client // the API server's client, for its pod proxy
}

func (t *topology) up(ctx context.Context) error {
	cs := t.p.cs
	nsObj := managedNamespace(t.ns)
	if t.peer != nil {
		markInjection(nsObj, t.peer.Peer)
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, nsObj, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", t.ns, err)
	}
	pl, err := t.placement(ctx)
	if err != nil {
		return err
	}
	if t.peer != nil {
		return t.upPeer(ctx, pl)
	}
	mode := t.spec.Mode
	if t.spec.Lane == platform.LaneMesh && mode == "" {
		mode = platform.ModeBoth
	}
	// The ingress modes (Istio's benchmark's): load client [-> client
	// sidecar] -> ingress gateway -> server sidecar -> app.
	t.gateway = t.spec.Lane == platform.LaneMesh && results.IsIngressMode(mode)
	serverSide := t.spec.Lane == platform.LaneMesh && (mode == platform.ModeBoth || mode == platform.ModeServerOnly || t.gateway)
	clientSide := t.spec.Lane == platform.LaneMesh && (mode == platform.ModeBoth || mode == platform.ModeClientOnly || mode == platform.ModeIngressBoth)
	if t.spec.Lane == platform.LaneMesh && !serverSide && !clientSide {
		return fmt.Errorf("unknown mode %q (both, clientonly, serveronly, ingress, ingress+both)", t.spec.Mode)
	}
	if t.spec.Case.MTLS && t.spec.Lane == platform.LaneMesh && mode != platform.ModeBoth && !t.gateway {
		return fmt.Errorf("mTLS needs both sidecars (mode both) or the ingress gateway, not %s: %w", mode, platform.ErrLaneUnavailable)
	}
	icfg := inject.Config{Image: t.p.opts.Images.Meshproxy, Workers: t.spec.Mesh.Workers, Args: t.spec.Mesh.MeshproxyArgs(), InboundPort: inboundPort,
		Resources: requests(sidecarCPU)}
	xds := t.spec.Lane == platform.LaneMesh && t.p.opts.Images.Meshcontrol != ""
	t.mode, t.serverSide, t.clientSide, t.xds, t.deleted = mode, serverSide, clientSide, xds, map[string]*corev1.Pod{}
	if xds {
		if err := t.startControlPlane(ctx, pl, &icfg); err != nil {
			return fmt.Errorf("meshcontrol: %w", err)
		}
	}

	// upstream is the app's (the graph's entry service's) Service address,
	// path what the load clients ask for.
	var upstream, gatewayAddr string
	path := "/echo"
	if t.spec.Graph != nil {
		if t.spec.Lane == platform.LaneMesh && (mode != platform.ModeBoth || !xds) {
			return fmt.Errorf("a service graph's mesh lane needs mode both and meshcontrol (its image): %w", platform.ErrLaneUnavailable)
		}
		if upstream, err = t.upGraph(ctx, pl, icfg, serverSide); err != nil {
			return err
		}
		path = "/"
	} else if upstream, gatewayAddr, err = t.upApp(ctx, pl, icfg, serverSide, xds, mode); err != nil {
		return err
	}

	lgNames := loadgenNames(t.spec.LoadClients)
	ccfg := icfg
	t.target = "http://" + upstream + path
	if t.gateway {
		// The load client (or its sidecar) calls the gateway's Service.
		upstream = gatewayAddr
		t.target = "http://" + upstream + path
	}
	if clientSide {
		// every load client pod's sidecar has the xDS node id client-proxy:
		// one configuration and one CA token Secret for all of them.
		var err error
		if ccfg, err = t.sidecarConfig(ctx, icfg, clientProxyID); err != nil {
			return err
		}
		t.target = fmt.Sprintf("http://127.0.0.1:%d%s", outboundPort, path)
	}
	for i, name := range lgNames {
		lg := loadgenPod(t.p.opts.Images.Meshbench)
		lg.Name = name
		lg.Labels[loadgenLabel] = "true"
		placeLoadgen(pl, &lg.Spec, i, len(lgNames), t.appLabels())
		if clientSide {
			lg.Annotations[inject.AnnotationInject] = "true"
			lg.Annotations[inject.AnnotationOutbound] = fmt.Sprintf("%d=%s", outboundPort, upstream)
			if _, err := inject.Pod(&lg.ObjectMeta, &lg.Spec, ccfg); err != nil {
				return err
			}
		}
		if _, err := cs.CoreV1().Pods(t.ns).Create(ctx, lg, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create pod %s: %w", name, err)
		}
	}
	for _, name := range t.apps {
		t.members = append(t.members, member{name, "app", name, results.RoleApp})
	}
	for _, name := range lgNames {
		t.members = append(t.members, member{name, "loadgen", name, results.RoleLoadgen})
	}
	if serverSide && t.spec.Graph == nil {
		t.members = append(t.members, member{"app", inject.ContainerName, "server-proxy", results.RoleServerProxy})
	}
	if clientSide {
		for _, name := range lgNames {
			// every load client pod has its own client sidecar; they share
			// the xDS node id client-proxy and so the same configuration.
			proxy := "client-proxy"
			if len(lgNames) > 1 {
				proxy = "client-proxy" + strings.TrimPrefix(name, "loadgen")
			}
			t.members = append(t.members, member{name, inject.ContainerName, proxy, results.RoleClientProxy})
		}
	}
	if t.spec.Lane == platform.LaneMesh {
		t.features = &results.MeshFeatures{Proxy: "meshproxy", MTLS: t.spec.Case.MTLS, Telemetry: t.spec.Mesh.Telemetry, Workers: t.spec.Mesh.Workers,
			XDS: xds, Extra: map[string]string{"platform": t.p.opts.Name, "mode": mode}}
		if xds {
			t.features.Extra["control_plane"] = "meshcontrol"
		}
		if t.gateway {
			t.features.Extra["gateway"] = "ingress"
		}
	}
	return t.finish(ctx, lgNames)
}

// finish waits for the members' pods, makes their probes and the load
// clients' API clients: the end of every lane's up.
func (t *topology) finish(ctx context.Context, lgNames []string) error {
	var names []string
	for _, m := range t.members {
		if !slices.Contains(names, m.pod) {
			names = append(names, m.pod)
		}
	}
	pods, err := t.waitReady(ctx, names...)
	if err != nil {
		return err
	}
	for _, m := range t.members {
		pr, err := t.p.opts.Probes.Probe(ctx, pods[m.pod], m.container, m.name, m.role)
		if err != nil {
			return fmt.Errorf("probe %s: %w", m.name, err)
		}
		t.probes = append(t.probes, pr)
	}
	for _, name := range lgNames {
		t.loadgenNodes = append(t.loadgenNodes, pods[name].Spec.NodeName)
	}
	if t.spec.Graph != nil && t.spec.Lane == platform.LaneMesh {
		if err := t.forwardAdmins(ctx); err != nil {
			return err
		}
	}
	return t.loadClients(lgNames)
}

// upApp brings up the single app (echo) and its Service, with its sidecar
// when serverSide, and the ingress gateway in the ingress modes; it
// returns the Service's address and the gateway's.
func (t *topology) upApp(ctx context.Context, pl placement, icfg inject.Config, serverSide, xds bool, mode string) (string, string, error) {
	cs := t.p.cs
	app, svc := appPod(t.p.opts.Images.Meshbench, t.spec.Mesh.AppFailStatus), appService()
	pl.apply(&app.Spec, "server", map[string]string{"app": "loadgen"})
	if serverSide && t.spec.Mesh.SidecarRestart {
		// the kubelet restarts a killed sidecar, as in a Deployment's pod
		app.Spec.RestartPolicy = corev1.RestartPolicyAlways
	}
	t.apps = []string{"app"}
	if serverSide {
		app.Annotations[inject.AnnotationInject] = "true"
		app.Annotations[inject.AnnotationAppPort] = fmt.Sprint(appPort)
		scfg, err := t.sidecarConfig(ctx, icfg, serverProxyID)
		if err != nil {
			return "", "", err
		}
		if _, err := inject.Pod(&app.ObjectMeta, &app.Spec, scfg); err != nil {
			return "", "", err
		}
		inject.Service(svc, app.Labels, app.Annotations)
	}
	svc, err := cs.CoreV1().Services(t.ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		return "", "", fmt.Errorf("create service: %w", err)
	}
	upstream := fmt.Sprintf("%s:%d", svc.Spec.ClusterIP, appPort)
	if t.spec.Mesh.AppGracefulStop {
		gracefulStop(&app.Spec)
	}
	if _, err := cs.CoreV1().Pods(t.ns).Create(ctx, app, metav1.CreateOptions{}); err != nil {
		return "", "", fmt.Errorf("create pod app: %w", err)
	}
	// The replicas (mesh/clientonly only, checked in Up) carry no sidecar:
	// they are more endpoints of the app's Service, which meshcontrol reads
	// from its EndpointSlices.
	for i := 2; i <= t.spec.Mesh.AppReplicas; i++ {
		r := app.DeepCopy()
		r.Name = fmt.Sprintf("app-%d", i)
		if _, err := cs.CoreV1().Pods(t.ns).Create(ctx, r, metav1.CreateOptions{}); err != nil {
			return "", "", fmt.Errorf("create pod %s: %w", r.Name, err)
		}
		t.apps = append(t.apps, r.Name)
	}
	gatewayAddr := ""
	if t.gateway {
		if gatewayAddr, err = t.startGateway(ctx, pl, icfg); err != nil {
			return "", "", fmt.Errorf("ingress gateway: %w", err)
		}
	}
	if xds {
		if err := t.writeMesh(ctx, mode, gatewayAddr); err != nil {
			return "", "", fmt.Errorf("meshcontrol: %w", err)
		}
	}

	return upstream, gatewayAddr, nil
}

// appLabels select the pods the load clients keep away from: the app, or
// every service of a graph.
func (t *topology) appLabels() map[string]string {
	if t.spec.Graph != nil {
		return map[string]string{"app": graphApp}
	}
	return map[string]string{"app": "echo"}
}

func (t *topology) placement(ctx context.Context) (placement, error) {
	nl, err := t.p.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: roleLabel})
	if err != nil {
		return placement{}, fmt.Errorf("list nodes: %w", err)
	}
	pl := placement{roles: map[string]bool{}}
	for _, n := range nl.Items {
		pl.roles[n.Labels[roleLabel]] = true
	}
	return pl, nil
}

// PodReady says whether the pod's Ready condition is true.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// PodNotReady says why a pod is not Ready: its phase, the conditions that
// are false and each container not ready with its state.
func PodNotReady(p *corev1.Pod) string {
	why := []string{string(p.Status.Phase)}
	if p.Spec.NodeName != "" {
		why = append(why, "on "+p.Spec.NodeName)
	}
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue && (c.Reason != "" || c.Message != "") {
			why = append(why, fmt.Sprintf("%s %s %s", c.Type, c.Reason, c.Message))
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.Ready:
		case cs.State.Waiting != nil:
			why = append(why, fmt.Sprintf("container %s waiting: %s %s", cs.Name, cs.State.Waiting.Reason, cs.State.Waiting.Message))
		case cs.State.Running != nil:
			why = append(why, fmt.Sprintf("container %s running, not ready (restarts %d)", cs.Name, cs.RestartCount))
		}
	}
	return p.Name + ": " + strings.Join(why, ", ")
}

func podFailed(p *corev1.Pod) error {
	if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
		return fmt.Errorf("pod %s %s: %s", p.Name, p.Status.Phase, p.Status.Message)
	}
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff", "CreateContainerError", "InvalidImageName":
				return fmt.Errorf("pod %s container %s: %s: %s", p.Name, cs.Name, w.Reason, w.Message)
			}
		}
		if term := cs.State.Terminated; term != nil {
			return fmt.Errorf("pod %s container %s exited %d: %s %s", p.Name, cs.Name, term.ExitCode, term.Reason, term.Message)
		}
	}
	return nil
}

// Load implements platform.Topology.
func (t *topology) Load(ctx context.Context, o load.Options) (*load.Report, error) {
	o.URL = t.target
	rep, err := t.runLoad(ctx, o)
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// Probes implements platform.Topology.
func (t *topology) Probes() []measure.Probe { return t.probes }

// Features implements platform.Topology.
func (t *topology) Features() *results.MeshFeatures { return t.features }

// Down implements platform.Topology: deletes the namespace (pods get a
// 2 s grace period) without waiting for it to vanish.
func (t *topology) Down(ctx context.Context) error {
	if t.down {
		return nil
	}
	t.down = true
	defer t.p.forget(t.ns)
	for _, stop := range t.stops {
		stop()
	}
	err := t.p.cs.CoreV1().Namespaces().Delete(ctx, t.ns, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete namespace %s: %w", t.ns, err)
	}
	return nil
}

func randSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
