package kube

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/deploy"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// Names the deploy manifests expect.
const (
	meshConfigMap = "meshcontrol-mesh"
	xdsPort       = 15010
	// meshcontrolAdminPort is where meshcontrol's admin (/metrics) listens
	// on its pod's loopback (--admin=127.0.0.1:15014 in the manifest).
	meshcontrolAdminPort = 15014
)

// The sidecars' node IDs: what inject gives --id, and the mesh file's
// proxies.
const (
	clientProxyID = "client-proxy"
	serverProxyID = "server-proxy"
)

// sidecarTokenSecret is the Secret holding one sidecar's own CA token.
func sidecarTokenSecret(nodeID string) string { return "meshproxy-token-" + nodeID }

// startControlPlane creates meshcontrol (its token Secret, its CA root
// and manifests) and sets the sidecar config to take everything over xDS
// from it, over TLS. The
// mesh file follows in writeMesh, once the app's Service has an address;
// until then the meshcontrol pod waits for its ConfigMap.
func (t *topology) startControlPlane(ctx context.Context, pl placement, icfg *inject.Config) error {
	cs := t.p.cs
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return err
	}
	// meshcontrol gets the node token secret; each sidecar only its own
	// node's token (sidecarConfig), which the CA honours for that node alone.
	t.nodeSecret = hex.EncodeToString(tok)
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: deploy.TokenSecret}, StringData: map[string]string{deploy.NodeTokenSecretKey: t.nodeSecret}}
	if _, err := cs.CoreV1().Secrets(t.ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create token secret: %w", err)
	}
	if err := t.createCARoot(ctx, icfg); err != nil {
		return err
	}
	m, err := deploy.Meshcontrol(t.ns, t.p.opts.Images.Meshcontrol)
	if err != nil {
		return err
	}
	place := func(p *corev1.Pod) { pl.apply(&p.Spec, "mesh", nil) }
	if err := apply(ctx, cs, t.ns, m, place); err != nil {
		return err
	}
	svc, err := cs.CoreV1().Services(t.ns).Get(ctx, "meshcontrol", metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("meshcontrol service: %w", err)
	}
	icfg.ControlPlane = fmt.Sprintf("%s:%d", svc.Spec.ClusterIP, xdsPort)
	t.members = append(t.members, member{"meshcontrol", "meshcontrol", "control-plane", results.RoleControlPlane})
	return nil
}

// sidecarConfig is icfg for the sidecar of node nodeID: with a control
// plane, its own CA token ca.NodeToken(secret, nodeID) in a Secret of its
// own, read as MESH_BOOTSTRAP_TOKEN. A sidecar holding it gets nodeID's
// certificate only; no token is shared between pods.
func (t *topology) sidecarConfig(ctx context.Context, icfg inject.Config, nodeID string) (inject.Config, error) {
	if icfg.ControlPlane == "" {
		return icfg, nil
	}
	name := sidecarTokenSecret(nodeID)
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{"token": ca.NodeToken(t.nodeSecret, nodeID)}}
	if _, err := t.p.cs.CoreV1().Secrets(t.ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		return icfg, fmt.Errorf("create token secret for %s: %w", nodeID, err)
	}
	icfg.Env = append(append([]corev1.EnvVar(nil), icfg.Env...), corev1.EnvVar{Name: "MESH_BOOTSTRAP_TOKEN", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "token"},
	}})
	icfg.ID = nodeID
	return icfg, nil
}

// writeMesh gives meshcontrol the lane's mesh, the one the local platform
// uses, with the app's Service declared without endpoints: meshcontrol's
// Kubernetes registry fills in the ready pod IPs from its EndpointSlices,
// so the client sidecar (or the gateway) calls pods, not the ClusterIP,
// and drains a deleted pod's connections when its endpoint goes
// (docs/reliability.md, app-kill on kind). The client sidecar's outbound
// listener is on the load client's loopback; the server sidecar's inbound
// listener (both, serveronly, ingress) on every address of the app pod,
// so that a replacement pod, with another IP, is served by the same
// configuration: the registry gives its endpoints the sidecar's port and
// names the sidecar (the injector's proxy-id annotation), which is how
// meshcontrol knows them proxied and applies mTLS towards them.
//
// In the ingress modes the gateway listens on its pod's every address and
// is reached at gatewayService (its Service) by the client sidecar.
func (t *topology) writeMesh(ctx context.Context, mode, gatewayService string) error {
	o := meshconfig.LaneOptions{
		Mode: mode, Protocol: platform.MeshProtocol(t.spec.Case.Protocol), MTLS: t.spec.Case.MTLS, Revision: 1,
		ClientProxyID: clientProxyID, ServerProxyID: serverProxyID, Service: "app",
		GatewayID: gatewayProxyID, Gateway: fmt.Sprintf("0.0.0.0:%d", gatewayPort), GatewayEndpoint: gatewayService,
		ClientOutbound:  fmt.Sprintf("127.0.0.1:%d", outboundPort),
		ServerInbound:   fmt.Sprintf("0.0.0.0:%d", inboundPort),
		App:             fmt.Sprintf("127.0.0.1:%d", appPort),
		AppFromRegistry: true,
	}
	if mode == meshconfig.ModeClientOnly {
		o.App = ""
	}
	m, err := meshconfig.Lane(o)
	if err != nil {
		return err
	}
	// A resilience scenario's policy (abort, route timeout, outlier
	// detection), added to the lane's as the local platform does.
	if p := t.spec.Mesh.Policy; p != nil {
		for _, d := range p.Destinations {
			d.Service = laneService(d.Service, o.Service)
			m.Policy.Destinations = append(m.Policy.Destinations, d)
		}
		for _, r := range p.Routes {
			r.Service = laneService(r.Service, o.Service)
			m.Policy.Routes = append(m.Policy.Routes, r)
		}
		m.Normalize()
	}
	return t.writeMeshFile(ctx, m)
}

// writeMeshFile hands meshcontrol its mesh file (the ConfigMap its pod
// waits for).
func (t *topology) writeMeshFile(ctx context.Context, m *meshconfig.Mesh) error {
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: meshConfigMap}, Data: map[string]string{"mesh.yaml": string(data)}}
	if _, err := t.p.cs.CoreV1().ConfigMaps(t.ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create mesh configmap: %w", err)
	}
	return nil
}

// laneService maps the policy's name for the lane's service
// (platform.LaneService) to this platform's (the app's Service).
func laneService(name, ours string) string {
	if name == platform.LaneService {
		return ours
	}
	return name
}
