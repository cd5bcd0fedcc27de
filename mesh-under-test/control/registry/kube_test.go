package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/meshbench/meshbench/mesh-under-test/control/registry"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

func ptr[T any](v T) *T { return &v }

func endpoint(ip, pod string, ready bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr(ready)},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: pod, Namespace: "shop"},
	}
}

func TestKubeRegistryProducesEndpoints(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop"},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http-web", Port: 80}}},
		},
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop"},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "grpc", Port: 9000}}},
		},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "cart-1", Namespace: "shop", Labels: map[string]string{"version": "v1"}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "cart-2", Namespace: "shop", Labels: map[string]string{"version": "v2"},
			Annotations: map[string]string{registry.AnnotationInboundPort: "15006", registry.AnnotationProxyID: "cart-sidecar"}}},
		&discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: "cart-abc", Namespace: "shop", Labels: map[string]string{discoveryv1.LabelServiceName: "cart"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr("http-web"), Port: ptr(int32(8080))}},
			Endpoints:   []discoveryv1.Endpoint{endpoint("10.0.0.1", "cart-1", true), endpoint("10.0.0.2", "cart-2", true), endpoint("10.0.0.3", "cart-3", false)},
		},
	)
	k := registry.NewKube(registry.KubeOptions{Client: client, Namespaces: []string{"shop"}})
	changed := make(chan struct{}, 100)
	go k.Run(ctx, func() { changed <- struct{}{} })

	cart := func() *meshconfig.Service {
		for _, s := range k.Snapshot().Services {
			if s.Name == "cart" {
				return &s
			}
		}
		return nil
	}
	require.Eventually(t, func() bool { c := cart(); return c != nil && len(c.Endpoints) == 2 }, 5*time.Second, 10*time.Millisecond)
	c := cart()
	assert.Equal(t, "shop", c.Namespace)
	assert.Equal(t, 80, c.Port)
	assert.Equal(t, meshconfig.ProtocolHTTP, c.Protocol)
	assert.Equal(t, []meshconfig.Endpoint{
		{Address: "10.0.0.1:8080", Weight: 1, Labels: map[string]string{"version": "v1"}},
		{Address: "10.0.0.2:15006", Weight: 1, Labels: map[string]string{"version": "v2"}, Sidecar: "cart-sidecar"}, // via its sidecar, named
	}, c.Endpoints)
	services := k.Snapshot().Services
	require.Len(t, services, 2)
	assert.Equal(t, meshconfig.ProtocolGRPC, services[1].Protocol)

	// An endpoint becoming ready is a change.
	for len(changed) > 0 {
		<-changed
	}
	es, err := client.DiscoveryV1().EndpointSlices("shop").Get(ctx, "cart-abc", metav1.GetOptions{})
	require.NoError(t, err)
	es.Endpoints[2].Conditions.Ready = ptr(true)
	_, err = client.DiscoveryV1().EndpointSlices("shop").Update(ctx, es, metav1.UpdateOptions{})
	require.NoError(t, err)
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("no change reported")
	}
	require.Eventually(t, func() bool { return len(cart().Endpoints) == 3 }, 5*time.Second, 10*time.Millisecond)
}

// TestKubeRegistryDropsADeletedPodsEndpoint: what the EndpointSlice
// controller does when a pod is deleted (its endpoint leaves the slice)
// reaches the snapshot as the pod IP's removal, and a replacement pod's
// new IP as its addition: the registry hands out pod IPs, never the
// Service's ClusterIP, so the proxies can drain exactly the dead pod.
func TestKubeRegistryDropsADeletedPodsEndpoint(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "shop"},
			Spec:       corev1.ServiceSpec{ClusterIP: "10.96.0.10", Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}},
		},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "shop"}},
		&discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: "app-xyz", Namespace: "shop", Labels: map[string]string{discoveryv1.LabelServiceName: "app"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080))}},
			Endpoints:   []discoveryv1.Endpoint{endpoint("10.244.0.7", "app", true)},
		},
	)
	k := registry.NewKube(registry.KubeOptions{Client: client, Namespaces: []string{"shop"}})
	changed := make(chan struct{}, 100)
	go k.Run(ctx, func() { changed <- struct{}{} })
	select {
	case <-k.Synced():
	case <-time.After(5 * time.Second):
		t.Fatal("never synced")
	}
	addrs := func() []string {
		var out []string
		for _, s := range k.Snapshot().Services {
			for _, e := range s.Endpoints {
				out = append(out, e.Address)
			}
		}
		return out
	}
	assert.Equal(t, []string{"10.244.0.7:8080"}, addrs(), "the pod's IP, synced before Synced closed")

	es, err := client.DiscoveryV1().EndpointSlices("shop").Get(ctx, "app-xyz", metav1.GetOptions{})
	require.NoError(t, err)
	es.Endpoints = nil // the pod was deleted
	_, err = client.DiscoveryV1().EndpointSlices("shop").Update(ctx, es, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(addrs()) == 0 }, 5*time.Second, 10*time.Millisecond)

	es.Endpoints = []discoveryv1.Endpoint{endpoint("10.244.0.12", "app", true)} // its replacement, Ready
	_, err = client.DiscoveryV1().EndpointSlices("shop").Update(ctx, es, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { a := addrs(); return len(a) == 1 && a[0] == "10.244.0.12:8080" }, 5*time.Second, 10*time.Millisecond)
	assert.NotEmpty(t, changed)
}
