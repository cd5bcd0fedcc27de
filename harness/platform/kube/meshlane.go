package kube

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/mesh-under-test/deploy"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// Names the deploy manifests expect.
const (
	meshConfigMap = "meshcontrol-mesh"
	tokenSecret   = "meshcontrol-token"
	xdsPort       = 15010
)

// startControlPlane creates meshcontrol (its token Secret and manifests)
// and sets the sidecar config to take everything over xDS from it. The
// mesh file follows in writeMesh, once the app's Service has an address;
// until then the meshcontrol pod waits for its ConfigMap.
func (t *topology) startControlPlane(ctx context.Context, pl placement, icfg *inject.Config) error {
	cs := t.p.cs
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return err
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: tokenSecret}, StringData: map[string]string{"token": hex.EncodeToString(tok)}}
	if _, err := cs.CoreV1().Secrets(t.ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create token secret: %w", err)
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
	icfg.Env = append(icfg.Env, corev1.EnvVar{Name: "MESH_BOOTSTRAP_TOKEN", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: tokenSecret}, Key: "token"},
	}})
	t.members = append(t.members, member{"meshcontrol", "meshcontrol", "control-plane", results.RoleControlPlane})
	return nil
}

// writeMesh gives meshcontrol the lane's mesh, the one the local platform
// uses: the client sidecar's outbound listener on the load client's
// loopback, and either the server sidecar's inbound listener on the app
// pod's IP (both, serveronly: the service's endpoint is that listener) or,
// with no server sidecar, the app's Service address as the endpoint.
func (t *topology) writeMesh(ctx context.Context, mode, appPodIP, appService string) error {
	o := meshconfig.LaneOptions{
		Mode: mode, Protocol: platform.MeshProtocol(t.spec.Case.Protocol), MTLS: t.spec.Case.MTLS, Revision: 1,
		ClientProxyID: "client-proxy", ServerProxyID: "server-proxy", Service: "app",
		ClientOutbound: fmt.Sprintf("127.0.0.1:%d", outboundPort),
		ServerInbound:  net.JoinHostPort(appPodIP, fmt.Sprint(inboundPort)),
		App:            fmt.Sprintf("127.0.0.1:%d", appPort),
	}
	if mode == meshconfig.ModeClientOnly {
		o.App = appService
	}
	m, err := meshconfig.Lane(o)
	if err != nil {
		return err
	}
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
