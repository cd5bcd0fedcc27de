package registry_test

import (
	"context"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/meshbench/meshbench/mesh-under-test/control/registry"
	"github.com/meshbench/meshbench/mesh-under-test/control/translate"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// conds are an EndpointSlice endpoint's conditions; nil leaves one unset.
func conds(ready, serving, terminating *bool) discoveryv1.EndpointConditions {
	return discoveryv1.EndpointConditions{Ready: ready, Serving: serving, Terminating: terminating}
}

// TestKubeTerminatingServingEndpointGoesOutDraining follows a pod through a
// graceful deletion as the EndpointSlice controller reports it, at the
// client-go seam (fake clientset), through meshcontrol's translation to the
// ClusterLoadAssignment the proxies receive: ready -> an endpoint; then
// terminating and serving (ready false) -> the same endpoint with
// health_status DRAINING; then terminating and no longer serving -> gone.
// An endpoint never ready and not terminating is left out throughout, and
// one whose conditions are all unset counts as ready (the API's rule).
func TestKubeTerminatingServingEndpointGoesOutDraining(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	yes, no := ptr(true), ptr(false)
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "app-xyz", Namespace: "shop", Labels: map[string]string{discoveryv1.LabelServiceName: "app"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080))}},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.244.0.7"}, Conditions: conds(yes, yes, no)},
			{Addresses: []string{"10.244.0.8"}, Conditions: conds(nil, nil, nil)},
			{Addresses: []string{"10.244.0.9"}, Conditions: conds(no, no, no)}, // starting, not ready yet
		},
	}
	client := fake.NewClientset(
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "shop"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}}},
		slice)
	k := registry.NewKube(registry.KubeOptions{Client: client, Namespaces: []string{"shop"}})
	go func() { _ = k.Run(ctx, func() {}) }()
	select {
	case <-k.Synced():
	case <-time.After(5 * time.Second):
		t.Fatal("never synced")
	}

	// health returns the app cluster's endpoints as meshcontrol sends them
	// to a client proxy: address -> EDS health status.
	health := func() map[string]corev3.HealthStatus {
		m := &meshconfig.Mesh{Services: k.Snapshot().Services,
			Proxies: []meshconfig.Proxy{{ID: "client", Outbound: []meshconfig.Outbound{{Address: "127.0.0.1:15001", Service: "app"}}}}}
		m.Normalize()
		proxies, err := translate.Build(m)
		require.NoError(t, err)
		out := map[string]corev3.HealthStatus{}
		for _, cla := range proxies["client"].Resources.Endpoints {
			if cla.GetClusterName() != translate.ClusterName("app", "") {
				continue
			}
			for _, l := range cla.GetEndpoints() {
				for _, e := range l.GetLbEndpoints() {
					sa := e.GetEndpoint().GetAddress().GetSocketAddress()
					out[sa.GetAddress()] = e.GetHealthStatus()
				}
			}
		}
		return out
	}
	assert.Equal(t, map[string]corev3.HealthStatus{"10.244.0.7": corev3.HealthStatus_UNKNOWN, "10.244.0.8": corev3.HealthStatus_UNKNOWN}, health())

	update := func(c discoveryv1.EndpointConditions, third ...discoveryv1.EndpointConditions) {
		es, err := client.DiscoveryV1().EndpointSlices("shop").Get(ctx, "app-xyz", metav1.GetOptions{})
		require.NoError(t, err)
		es.Endpoints[0].Conditions = c
		for _, c := range third {
			es.Endpoints[2].Conditions = c
		}
		_, err = client.DiscoveryV1().EndpointSlices("shop").Update(ctx, es, metav1.UpdateOptions{})
		require.NoError(t, err)
	}
	update(conds(no, yes, yes)) // kubectl delete pod: terminating, still serving
	require.Eventually(t, func() bool { return health()["10.244.0.7"] == corev3.HealthStatus_DRAINING }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, map[string]corev3.HealthStatus{"10.244.0.7": corev3.HealthStatus_DRAINING, "10.244.0.8": corev3.HealthStatus_UNKNOWN}, health())
	var app meshconfig.Service
	for _, s := range k.Snapshot().Services {
		if s.Name == "app" {
			app = s
		}
	}
	assert.Equal(t, []meshconfig.Endpoint{{Address: "10.244.0.7:8080", Weight: 1, Draining: true}, {Address: "10.244.0.8:8080", Weight: 1}}, app.Endpoints)

	update(conds(no, no, yes)) // its readiness probe fails while it shuts down
	require.Eventually(t, func() bool { _, ok := health()["10.244.0.7"]; return !ok }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, map[string]corev3.HealthStatus{"10.244.0.8": corev3.HealthStatus_UNKNOWN}, health())

	// Terminating with serving unknown (an older API server): not serving.
	// In the same update the starting endpoint turns ready, so its arrival
	// shows the update was seen.
	update(conds(no, nil, yes), conds(yes, yes, no))
	require.Eventually(t, func() bool { _, ok := health()["10.244.0.9"]; return ok }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, map[string]corev3.HealthStatus{"10.244.0.8": corev3.HealthStatus_UNKNOWN, "10.244.0.9": corev3.HealthStatus_UNKNOWN}, health())
}
