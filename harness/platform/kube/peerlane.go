package kube

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/meshbench/meshbench/harness/peers"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// markInjection asks the peer's injector for sidecars in the lane's
// namespace (Istio: a label; Linkerd: an annotation).
func markInjection(ns *corev1.Namespace, peer peers.Peer) {
	if k := peer.InjectLabel[0]; k != "" {
		ns.Labels[k] = peer.InjectLabel[1]
	}
	if k := peer.InjectAnnotation[0]; k != "" {
		if ns.Annotations == nil {
			ns.Annotations = map[string]string{}
		}
		ns.Annotations[k] = peer.InjectAnnotation[1]
	}
}

// appProtocols tell a peer's sidecar what the app's port speaks, instead of
// leaving it to protocol sniffing.
var appProtocols = map[string]string{
	results.ProtocolHTTP1: "http", results.ProtocolH2: "http2", results.ProtocolGRPC: "grpc", results.ProtocolTCP: "tcp",
}

// upPeer brings a peer lane up: the same app and load clients as every
// lane, in a namespace the peer's injector adds its sidecars to (the pods
// of the mode's other side opt out), called through the app's Service as
// the peer's own benchmarks do. The control plane was installed before.
func (t *topology) upPeer(ctx context.Context, pl placement) error {
	cs, peer := t.p.cs, t.peer.Peer
	mode := t.spec.Mode
	if mode == "" {
		mode = platform.ModeBoth
	}
	serverSide := mode == platform.ModeBoth || mode == platform.ModeServerOnly
	clientSide := mode == platform.ModeBoth || mode == platform.ModeClientOnly
	if !serverSide && !clientSide || (mode != platform.ModeBoth && peer.InjectPodOff[0] == "") {
		return fmt.Errorf("lane %s has no mode %q: %w", peer.Name, mode, platform.ErrLaneUnavailable)
	}
	if peer.Name == results.LaneIstio {
		if err := t.istioPeerAuthentication(ctx); err != nil {
			return err
		}
	}
	app, svc := appPod(t.p.opts.Images.Meshbench, 0), appService()
	pl.apply(&app.Spec, "server", map[string]string{"app": "loadgen"})
	if !serverSide {
		peerPodOff(peer, app)
	}
	svc.Spec.Ports[0].AppProtocol = ptr(appProtocols[t.spec.Case.Protocol])
	svc, err := cs.CoreV1().Services(t.ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create service: %w", err)
	}
	if _, err := cs.CoreV1().Pods(t.ns).Create(ctx, app, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create pod app: %w", err)
	}
	t.target = fmt.Sprintf("http://%s:%d/echo", svc.Spec.ClusterIP, appPort)
	lgNames := loadgenNames(t.spec.LoadClients)
	for i, name := range lgNames {
		lg := loadgenPod(t.p.opts.Images.Meshbench)
		lg.Name = name
		lg.Labels[loadgenLabel] = "true"
		// The harness calls the load client's API: not through the sidecar.
		lg.Annotations[peer.SkipInboundPorts] = fmt.Sprint(loadgenPort)
		if !clientSide {
			peerPodOff(peer, lg)
		}
		placeLoadgen(pl, &lg.Spec, i, len(lgNames), t.appLabels())
		if _, err := cs.CoreV1().Pods(t.ns).Create(ctx, lg, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create pod %s: %w", name, err)
		}
	}
	t.members = append(t.members, member{"app", "app", "app", results.RoleApp})
	for _, name := range lgNames {
		t.members = append(t.members, member{name, "loadgen", name, results.RoleLoadgen})
	}
	if serverSide {
		t.members = append(t.members, member{"app", peer.SidecarContainer, "server-proxy", results.RoleServerProxy})
	}
	if clientSide {
		for _, name := range lgNames {
			proxy := "client-proxy"
			if len(lgNames) > 1 {
				proxy = "client-proxy" + strings.TrimPrefix(name, "loadgen")
			}
			t.members = append(t.members, member{name, peer.SidecarContainer, proxy, results.RoleClientProxy})
		}
	}
	t.features = &results.MeshFeatures{Proxy: peer.SidecarContainer, MTLS: t.spec.Case.MTLS, XDS: peer.Name == results.LaneIstio,
		Extra: map[string]string{"platform": t.p.opts.Name, "mode": mode, "control_plane": peer.ControlPlaneDeployment,
			"peer_version": peer.Version}}
	if err := t.finish(ctx, lgNames); err != nil {
		return err
	}
	return t.probeControlPlane(ctx, peer)
}

// probeControlPlane measures the peer's control plane: the first pod of its
// control-plane Deployment, in the peer's namespace.
func (t *topology) probeControlPlane(ctx context.Context, peer peers.Peer) error {
	d, err := t.p.cs.AppsV1().Deployments(peer.Namespace).Get(ctx, peer.ControlPlaneDeployment, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("control plane deployment: %w", err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return err
	}
	pods, err := t.p.cs.CoreV1().Pods(peer.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil || len(pods.Items) == 0 {
		return fmt.Errorf("control plane pods of %s/%s: none running (%v)", peer.Namespace, peer.ControlPlaneDeployment, err)
	}
	pr, err := t.p.opts.Probes.Probe(ctx, &pods.Items[0], peer.ControlPlaneContainer, "control-plane", results.RoleControlPlane)
	if err != nil {
		return fmt.Errorf("probe control plane: %w", err)
	}
	t.probes = append(t.probes, pr)
	return nil
}

// istioPeerAuthentication states the case's mTLS for the lane's namespace:
// STRICT with mtls, DISABLE without (Istio's auto mTLS would otherwise
// encrypt between two sidecars whatever the case says).
func (t *topology) istioPeerAuthentication(ctx context.Context) error {
	dyn, err := dynamic.NewForConfig(t.p.opts.Config)
	if err != nil {
		return err
	}
	mode := "DISABLE"
	if t.spec.Case.MTLS {
		mode = "STRICT"
	}
	pa := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
		"metadata": map[string]any{"name": "default", "namespace": t.ns},
		"spec":     map[string]any{"mtls": map[string]any{"mode": mode}},
	}}
	gvr := schema.GroupVersionResource{Group: "security.istio.io", Version: "v1", Resource: "peerauthentications"}
	if _, err := dyn.Resource(gvr).Namespace(t.ns).Create(ctx, pa, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("istio PeerAuthentication %s: %w", mode, err)
	}
	return nil
}
