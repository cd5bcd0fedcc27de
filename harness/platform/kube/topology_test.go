package kube

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/control/registry"
	"github.com/meshbench/meshbench/mesh-under-test/deploy"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// fakeCluster plays the parts of the API server the platform relies on:
// Services get a ClusterIP, pods are scheduled, get an IP and turn Ready.
func fakeCluster() *fake.Clientset {
	cs := fake.NewClientset()
	ips := map[string]string{"app": "10.96.0.10", "meshcontrol": "10.96.0.20", gatewayProxyID: "10.96.0.30"}
	cs.PrependReactor("create", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
		svc := a.(k8stesting.CreateAction).GetObject().(*corev1.Service)
		if ip, ok := ips[svc.Name]; ok { // others: set by a reactor in front
			svc.Spec.ClusterIP = ip
		}
		return false, nil, nil
	})
	podIPs := map[string]string{"app": "10.244.0.5", "loadgen": "10.244.0.6", "meshcontrol": "10.244.0.7"}
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		pod.Spec.NodeName = "node-a"
		pod.Status.Phase = corev1.PodRunning
		if ip, ok := podIPs[pod.Name]; ok {
			pod.Status.PodIP = ip
		}
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		for _, c := range pod.Spec.Containers {
			pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, ContainerID: "containerd://" + pod.Name + "-" + c.Name})
		}
		return false, nil, nil
	})
	return cs
}

type fakeProbes struct{}

func (fakeProbes) Probe(_ context.Context, pod *corev1.Pod, container, name, role string) (measure.Probe, error) {
	return fixedProbe{name: name, role: role}, nil
}

type fixedProbe struct{ name, role string }

func (p fixedProbe) Name() string { return p.name }
func (p fixedProbe) Role() string { return p.role }
func (p fixedProbe) Sample(context.Context) (measure.Sample, error) {
	return measure.Sample{CPUSeconds: 1, RSSBytes: 1}, nil
}

func newTestPlatform(t *testing.T, images Images) (*Platform, *fake.Clientset) {
	cs := fakeCluster()
	p, err := New(Options{Config: &rest.Config{Host: "http://127.0.0.1:1"}, Images: images, Client: cs, Probes: fakeProbes{}})
	require.NoError(t, err)
	return p, cs
}

var allImages = Images{Meshbench: "mb:1", Meshproxy: "mp:1", Meshcontrol: "mc:1"}

func container(t *testing.T, pod *corev1.Pod, name string) *corev1.Container {
	t.Helper()
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	return nil
}

// upChecked brings spec up on a fake cluster and checks the load target
// and the measured roles, in order.
func upChecked(t *testing.T, images Images, spec platform.Spec, wantTarget string, wantRoles []string) (*Platform, *fake.Clientset, platform.Topology, *topology) {
	t.Helper()
	p, cs := newTestPlatform(t, images)
	top, err := p.Up(context.Background(), spec)
	require.NoError(t, err)
	tp := top.(*topology)
	assert.Equal(t, wantTarget, tp.target)
	var roles []string
	for _, pr := range top.Probes() {
		roles = append(roles, pr.Role())
	}
	assert.Equal(t, wantRoles, roles)
	return p, cs, top, tp
}

func TestUpLanes(t *testing.T) {
	tests := []struct {
		name       string
		spec       platform.Spec
		images     Images
		wantRoles  []string
		wantTarget string
		wantXDS    bool
	}{
		{"none", platform.Spec{Lane: platform.LaneNone}, allImages,
			[]string{results.RoleApp, results.RoleLoadgen}, "http://10.96.0.10:8080/echo", false},
		{"mesh both over xDS", platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth}, allImages,
			[]string{results.RoleControlPlane, results.RoleApp, results.RoleLoadgen, results.RoleServerProxy, results.RoleClientProxy}, "http://127.0.0.1:15001/echo", true},
		{"mesh clientonly over xDS", platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeClientOnly}, allImages,
			[]string{results.RoleControlPlane, results.RoleApp, results.RoleLoadgen, results.RoleClientProxy}, "http://127.0.0.1:15001/echo", true},
		{"mesh serveronly", platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeServerOnly}, allImages,
			[]string{results.RoleControlPlane, results.RoleApp, results.RoleLoadgen, results.RoleServerProxy}, "http://10.96.0.10:8080/echo", true},
		{"mesh static, no meshcontrol image", platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth}, Images{Meshbench: "mb:1", Meshproxy: "mp:1"},
			[]string{results.RoleApp, results.RoleLoadgen, results.RoleServerProxy, results.RoleClientProxy}, "http://127.0.0.1:15001/echo", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			p, cs, top, tp := upChecked(t, tt.images, tt.spec, tt.wantTarget, tt.wantRoles)
			require.Len(t, tp.loadgens, 1)
			assert.True(t, strings.HasPrefix(tp.loadgens[0].Base, "http://127.0.0.1:1/api/v1/namespaces/"+tp.ns+"/pods/loadgen:9080/proxy"))
			if tt.spec.Lane == platform.LaneMesh {
				require.NotNil(t, top.Features())
				assert.Equal(t, tt.wantXDS, top.Features().XDS)
			}

			app, err := cs.CoreV1().Pods(tp.ns).Get(ctx, "app", metav1.GetOptions{})
			require.NoError(t, err)
			svc, err := cs.CoreV1().Services(tp.ns).Get(ctx, "app", metav1.GetOptions{})
			require.NoError(t, err)
			if side := container(t, app, inject.ContainerName); side != nil {
				assert.Equal(t, 15006, svc.Spec.Ports[0].TargetPort.IntValue(), "the Service is retargeted to the server sidecar")
				args := strings.Join(side.Args, " ")
				assert.Contains(t, args, "--id server-proxy")
				if tt.wantXDS {
					assert.Contains(t, args, "--xds 10.96.0.20:15010")
					assert.NotContains(t, args, "--inbound", "xDS brings the listeners")
					require.Len(t, side.Env, 1)
					assert.Equal(t, "MESH_BOOTSTRAP_TOKEN", side.Env[0].Name)
					assert.Equal(t, sidecarTokenSecret(serverProxyID), side.Env[0].ValueFrom.SecretKeyRef.Name, "the server sidecar's own token")
				} else {
					assert.Contains(t, args, "--inbound 0.0.0.0:15006=127.0.0.1:8080")
				}
				assert.NotEmpty(t, side.Resources.Requests.Cpu().String())
			} else {
				assert.Equal(t, 8080, svc.Spec.Ports[0].TargetPort.IntValue())
			}
			if tt.wantXDS {
				cm, err := cs.CoreV1().ConfigMaps(tp.ns).Get(ctx, meshConfigMap, metav1.GetOptions{})
				require.NoError(t, err)
				mesh := cm.Data["mesh.yaml"]
				m, err := meshconfig.Parse("mesh.yaml", []byte(mesh))
				require.NoError(t, err)
				require.NotNil(t, m.Service("app"))
				assert.Empty(t, m.Service("app").Endpoints, "meshcontrol's Kubernetes registry gives the pod IPs")
				assert.NotContains(t, mesh, svc.Spec.ClusterIP, "the client sidecar never calls the ClusterIP")
				assert.NotContains(t, mesh, "10.244.0.5", "nothing in the mesh names the app pod's IP: a replacement pod gets another")
				if tt.spec.Mode != platform.ModeClientOnly {
					require.NotNil(t, m.Proxy(serverProxyID))
					assert.Equal(t, "0.0.0.0:15006", m.Proxy(serverProxyID).Inbound.Address, "the server sidecar listens on every address of its pod")
					// what meshcontrol's registry reads to point the pod's
					// endpoint at the sidecar and know it proxied
					assert.Equal(t, "15006", app.Annotations[registry.AnnotationInboundPort])
					assert.Equal(t, serverProxyID, app.Annotations[registry.AnnotationProxyID])
				}
				_, err = cs.CoreV1().Pods(tp.ns).Get(ctx, "meshcontrol", metav1.GetOptions{})
				require.NoError(t, err)
				sidecarTokens(t, cs, tp.ns, tt.spec.Mode)
				controlPlaneTLS(t, cs, tp.ns, tt.spec.Mode)
			}

			require.NoError(t, top.Down(ctx))
			require.NoError(t, top.Down(ctx), "Down is idempotent")
			_, err = cs.CoreV1().Namespaces().Get(ctx, tp.ns, metav1.GetOptions{})
			assert.Error(t, err, "the lane's namespace is deleted")
			assert.NoError(t, p.Close(ctx))
		})
	}
}

func TestUpUnavailable(t *testing.T) {
	tests := []struct {
		name   string
		spec   platform.Spec
		images Images
	}{
		{"reference lane", platform.Spec{Lane: platform.LaneHAProxy}, allImages},
		{"mesh without meshproxy", platform.Spec{Lane: platform.LaneMesh}, Images{Meshbench: "mb:1"}},
		{"mTLS with one sidecar", platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeClientOnly, Case: results.Case{MTLS: true}}, allImages},
		{"ingress without meshcontrol", platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeIngress}, Images{Meshbench: "mb:1", Meshproxy: "mp:1"}},
		{"ingress+both without meshcontrol", platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeIngressBoth}, Images{Meshbench: "mb:1", Meshproxy: "mp:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, cs := newTestPlatform(t, tt.images)
			_, err := p.Up(context.Background(), tt.spec)
			require.ErrorIs(t, err, platform.ErrLaneUnavailable)
			nss, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
			require.NoError(t, err)
			assert.Empty(t, nss.Items, "nothing is left behind")
		})
	}
}

// sidecarTokens: meshcontrol's Secret holds the node token secret, each
// injected sidecar reads its own Secret, and each token is its node's
// alone (the CA's NodeTokens accepts it for that node and refuses it for
// the other).
func sidecarTokens(t *testing.T, cs *fake.Clientset, ns, mode string) {
	t.Helper()
	ctx := context.Background()
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, deploy.TokenSecret, metav1.GetOptions{})
	require.NoError(t, err)
	secret := sec.StringData[deploy.NodeTokenSecretKey]
	require.NotEmpty(t, secret)
	assert.NotContains(t, sec.StringData, "token", "no mesh-wide bootstrap token")
	auth := ca.NodeTokens{Secret: secret, IdentityOf: func(node string) (string, bool) { return "spiffe://cluster.local/" + node, true }}
	pods := map[string]string{serverProxyID: "app", clientProxyID: "loadgen"}
	want := map[string]bool{serverProxyID: mode != platform.ModeClientOnly, clientProxyID: mode != platform.ModeServerOnly}
	tokens := map[string]string{}
	for node, pod := range pods {
		s, err := cs.CoreV1().Secrets(ns).Get(ctx, sidecarTokenSecret(node), metav1.GetOptions{})
		if !want[node] {
			assert.Error(t, err, "no token for a sidecar that does not run: %s", node)
			continue
		}
		require.NoError(t, err, node)
		tokens[node] = s.StringData["token"]
		p, err := cs.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
		require.NoError(t, err)
		side := container(t, p, inject.ContainerName)
		require.NotNil(t, side, pod)
		require.Len(t, side.Env, 1, pod)
		assert.Equal(t, sidecarTokenSecret(node), side.Env[0].ValueFrom.SecretKeyRef.Name, "%s reads its own Secret", pod)
	}
	for node, tok := range tokens {
		for other := range pods {
			_, err := auth.Authenticate(ctx, tok, other)
			if other == node {
				assert.NoError(t, err, "%s's token names %s", node, other)
			} else {
				assert.Error(t, err, "%s's token cannot name %s", node, other)
			}
		}
	}
}

// TestUpIngressLanes: the ingress modes deploy the gateway (a meshproxy
// pod with its own CA token, behind a Service) configured by meshcontrol;
// the load client, or its sidecar in ingress+both, calls the gateway's
// Service, and the mesh sends the gateway to the server sidecar, on the
// app pod's IP its registry finds.
func TestUpIngressLanes(t *testing.T) {
	for _, tt := range []struct {
		mode       string
		wantRoles  []string
		wantTarget string
	}{
		{platform.ModeIngress, []string{results.RoleControlPlane, results.RoleGateway, results.RoleApp, results.RoleLoadgen, results.RoleServerProxy},
			"http://10.96.0.30:8081/echo"},
		{platform.ModeIngressBoth, []string{results.RoleControlPlane, results.RoleGateway, results.RoleApp, results.RoleLoadgen, results.RoleServerProxy, results.RoleClientProxy},
			"http://127.0.0.1:15001/echo"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			ctx := context.Background()
			_, cs, top, tp := upChecked(t, allImages, platform.Spec{Lane: platform.LaneMesh, Mode: tt.mode, Case: results.Case{MTLS: true}}, tt.wantTarget, tt.wantRoles)
			assert.Equal(t, "ingress", top.Features().Extra["gateway"])

			gw, err := cs.CoreV1().Pods(tp.ns).Get(ctx, gatewayProxyID, metav1.GetOptions{})
			require.NoError(t, err)
			side := container(t, gw, inject.ContainerName)
			require.NotNil(t, side)
			args := strings.Join(side.Args, " ")
			assert.Contains(t, args, "--id ingress-gateway")
			assert.Contains(t, args, "--xds 10.96.0.20:15010")
			// meshcontrol serves ADS over TLS on kind/kube: the gateway must
			// verify it like the sidecars (found on a real cluster: a gateway
			// speaking plaintext gRPC never got its certificate).
			assert.Contains(t, args, "--xds-ca ")
			assert.Contains(t, args, "--xds-server-name ")
			require.Len(t, gw.Spec.Volumes, 1, "the mesh root ConfigMap")
			require.Len(t, side.Env, 1)
			assert.Equal(t, sidecarTokenSecret(gatewayProxyID), side.Env[0].ValueFrom.SecretKeyRef.Name, "the gateway's own CA token")
			_, err = cs.CoreV1().Services(tp.ns).Get(ctx, gatewayProxyID, metav1.GetOptions{})
			require.NoError(t, err)

			cm, err := cs.CoreV1().ConfigMaps(tp.ns).Get(ctx, meshConfigMap, metav1.GetOptions{})
			require.NoError(t, err)
			m, err := meshconfig.Parse("mesh.yaml", []byte(cm.Data["mesh.yaml"]))
			require.NoError(t, err)
			g := m.Proxy(gatewayProxyID)
			require.NotNil(t, g)
			require.NotNil(t, g.Gateway)
			assert.Equal(t, "0.0.0.0:8081", g.Gateway.Address)
			assert.Equal(t, meshconfig.MTLSStrict, m.Policy.MTLS)
			assert.Empty(t, m.Service("app").Endpoints, "the gateway calls the server sidecar on the app pod's IP, from meshcontrol's registry")
			assert.Equal(t, "0.0.0.0:15006", m.Proxy(serverProxyID).Inbound.Address)
			if tt.mode == platform.ModeIngressBoth {
				require.NotNil(t, m.Service(gatewayProxyID))
				assert.Equal(t, "10.96.0.30:8081", m.Service(gatewayProxyID).Endpoints[0].Address, "the client sidecar calls the gateway's Service")
				lg, err := cs.CoreV1().Pods(tp.ns).Get(ctx, "loadgen", metav1.GetOptions{})
				require.NoError(t, err)
				assert.NotNil(t, container(t, lg, inject.ContainerName), "ingress+both: the load client has its sidecar")
			} else {
				assert.Nil(t, m.Service(gatewayProxyID))
			}
			require.NoError(t, top.Down(ctx))
		})
	}
}
