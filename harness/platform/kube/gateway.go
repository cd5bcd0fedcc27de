package kube

import (
	"bytes"
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/results"
)

// The ingress gateway of the ingress modes: one meshproxy pod (xDS node
// id gatewayProxyID) behind a Service, configured by meshcontrol like the
// sidecars; the load client (or its sidecar, in ingress+both) calls the
// Service.
const (
	gatewayProxyID = "ingress-gateway"
	gatewayPort    = 8081
	// gatewayAdminPort is the gateway's admin server on its pod IP (a
	// sidecar keeps it on loopback; the gateway pod holds no app, and its
	// request counters are how a run shows the path crossed it).
	gatewayAdminPort = 15000
	gatewayHealth    = 15021
)

// gatewayService is the gateway's Service, created before the mesh is
// written: its ClusterIP is where the client sidecar sends (ingress+both).
func gatewayService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: gatewayProxyID, Labels: map[string]string{"app": gatewayProxyID}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": gatewayProxyID},
			Ports:    []corev1.ServicePort{{Name: "http", Port: gatewayPort, TargetPort: intstr.FromInt(gatewayPort), AppProtocol: ptr("http")}},
		},
	}
}

// gatewayPod is the gateway: meshproxy alone in its pod, everything over
// xDS from controlPlane, its CA token in env (sidecarConfig). A bare pod,
// like the app and the load clients, not a Deployment: a gateway that
// crashes mid-run must fail the run, not come back restarted and measured
// as if nothing happened.
func gatewayPod(icfg inject.Config) *corev1.Pod {
	c := corev1.Container{
		Name: inject.ContainerName, Image: icfg.Image, ImagePullPolicy: corev1.PullIfNotPresent,
		Args: []string{"--id", gatewayProxyID, "--admin", fmt.Sprintf("0.0.0.0:%d", gatewayAdminPort),
			"--health", fmt.Sprintf("0.0.0.0:%d", gatewayHealth)},
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: gatewayPort}, {Name: "admin", ContainerPort: gatewayAdminPort},
			{Name: "mesh-health", ContainerPort: gatewayHealth}},
		ReadinessProbe: httpReady("/ready", gatewayHealth),
		Resources:      icfg.Resources,
	}
	spec := corev1.PodSpec{
		RestartPolicy:                 corev1.RestartPolicyNever,
		TerminationGracePeriodSeconds: ptr(int64(2)),
	}
	// xDS, TLS to meshcontrol and the token exactly as the sidecars get them.
	inject.ConnectControlPlane(&spec, &c, icfg)
	spec.Containers = []corev1.Container{c}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: gatewayProxyID, Labels: map[string]string{"app": gatewayProxyID}, Annotations: map[string]string{}},
		Spec:       spec,
	}
}

// startGateway creates the gateway's Service and pod (on the mesh node,
// beside meshcontrol, when the cluster has roles) and returns the
// Service's address.
func (t *topology) startGateway(ctx context.Context, pl placement, icfg inject.Config) (string, error) {
	cs := t.p.cs
	svc, err := cs.CoreV1().Services(t.ns).Create(ctx, gatewayService(), metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("create gateway service: %w", err)
	}
	gcfg, err := t.sidecarConfig(ctx, icfg, gatewayProxyID)
	if err != nil {
		return "", err
	}
	pod := gatewayPod(gcfg)
	pl.apply(&pod.Spec, "mesh", nil)
	if _, err := cs.CoreV1().Pods(t.ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("create pod %s: %w", gatewayProxyID, err)
	}
	t.members = append(t.members, member{gatewayProxyID, inject.ContainerName, gatewayProxyID, results.RoleGateway})
	return fmt.Sprintf("%s:%d", svc.Spec.ClusterIP, gatewayPort), nil
}

// GatewayRequests is the ingress gateway's meshproxy_requests_total (every
// listener, every status), read through the API server's pod proxy; an
// error when the lane has no gateway. Tests use it to show the load's
// path crossed the gateway.
func (t *topology) GatewayRequests(ctx context.Context) (float64, error) {
	if !t.gateway {
		return 0, fmt.Errorf("lane %s has no ingress gateway", laneName(t.spec))
	}
	body, err := t.p.cs.CoreV1().Pods(t.ns).ProxyGet("http", gatewayProxyID, fmt.Sprint(gatewayAdminPort), "/metrics", nil).DoRaw(ctx)
	if err != nil {
		return 0, fmt.Errorf("gateway metrics: %w", err)
	}
	fams, err := measure.ParseFamilies(bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("gateway metrics: %w", err)
	}
	f := fams["meshproxy_requests_total"]
	if f == nil && !t.spec.Mesh.Telemetry {
		return 0, fmt.Errorf("gateway metrics: no meshproxy_requests_total: per-request metrics are off (mesh.telemetry false)")
	}
	var n float64
	for _, m := range f.GetMetric() {
		n += m.GetCounter().GetValue()
	}
	return n, nil
}
