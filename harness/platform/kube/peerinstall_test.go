package kube

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"

	"github.com/meshbench/meshbench/harness/peers"
)

// resettable stands a static mapper in for the discovery-backed one.
type resettable struct{ meta.RESTMapper }

func (resettable) Reset() {}

var (
	gvrNS   = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	gvrCRD  = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	gvrCR   = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	gvrDep  = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	gvrMWeb = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"}
)

func testMapper() meta.ResettableRESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	for _, x := range []struct {
		gvr   schema.GroupVersionResource
		kind  string
		scope meta.RESTScope
	}{
		{gvrNS, "Namespace", meta.RESTScopeRoot}, {gvrCRD, "CustomResourceDefinition", meta.RESTScopeRoot},
		{gvrCR, "ClusterRole", meta.RESTScopeRoot}, {gvrDep, "Deployment", meta.RESTScopeNamespace},
		{gvrMWeb, "MutatingWebhookConfiguration", meta.RESTScopeRoot},
	} {
		m.AddSpecific(x.gvr.GroupVersion().WithKind(x.kind), x.gvr, x.gvr.GroupVersion().WithResource(x.gvr.Resource[:len(x.gvr.Resource)-1]), x.scope)
	}
	return resettable{m}
}

func obj(apiVersion, kind, name string, extra map[string]any) *unstructured.Unstructured {
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name}}
	for k, v := range extra {
		o[k] = v
	}
	return &unstructured.Unstructured{Object: o}
}

// TestPeerInstallApplyAndRemove: apply creates namespaces and CRDs first,
// labels every object, puts namespaced ones in the peer's namespace, leaves
// an object that exists and is not ours alone (and never deletes it), and
// remove deletes exactly what it created.
func TestPeerInstallApplyAndRemove(t *testing.T) {
	established := map[string]any{"conditions": []any{map[string]any{"type": "Established", "status": "True"}}}
	foreign := obj("rbac.authorization.k8s.io/v1", "ClusterRole", "shared", nil)
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		gvrNS: "NamespaceList", gvrCRD: "CustomResourceDefinitionList", gvrCR: "ClusterRoleList", gvrDep: "DeploymentList", gvrMWeb: "MutatingWebhookConfigurationList",
	}, foreign)
	m := &peers.Manifest{Peer: peers.Istio(), Objects: []*unstructured.Unstructured{
		obj("apps/v1", "Deployment", "istiod", nil), // no namespace: goes to istio-system
		obj("rbac.authorization.k8s.io/v1", "ClusterRole", "istiod", nil),
		obj("rbac.authorization.k8s.io/v1", "ClusterRole", "shared", nil), // exists, not ours
		obj("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "istio-sidecar-injector", nil),
		obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "peerauthentications.security.istio.io", map[string]any{"status": established}),
		obj("v1", "Namespace", "istio-system", nil),
	}}
	pi := &peerInstall{m: m, dyn: dyn, mapper: testMapper(), log: slog.New(slog.DiscardHandler)}
	require.NoError(t, pi.apply(t.Context()))

	var order []string
	for _, c := range pi.created {
		order = append(order, c.String())
	}
	assert.Equal(t, []string{"Namespace istio-system", "CustomResourceDefinition peerauthentications.security.istio.io",
		"Deployment istio-system/istiod", "ClusterRole istiod", "MutatingWebhookConfiguration istio-sidecar-injector"}, order,
		"namespaces, then CRDs, then the rest in manifest order; the foreign ClusterRole is not ours")
	d, err := dyn.Resource(gvrDep).Namespace("istio-system").Get(t.Context(), "istiod", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "istio", d.GetLabels()[PeerLabel])
	sh, err := dyn.Resource(gvrCR).Get(t.Context(), "shared", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Empty(t, sh.GetLabels()[PeerLabel], "an object someone else made is not relabelled")

	// A second install over a leftover of ours adopts it.
	pi2 := &peerInstall{m: m, dyn: dyn, mapper: testMapper(), log: slog.New(slog.DiscardHandler)}
	require.NoError(t, pi2.apply(t.Context()))
	assert.Len(t, pi2.created, 5)

	require.NoError(t, pi.remove(t.Context()))
	for _, x := range []struct {
		gvr      schema.GroupVersionResource
		ns, name string
	}{{gvrNS, "", "istio-system"}, {gvrCRD, "", "peerauthentications.security.istio.io"}, {gvrDep, "istio-system", "istiod"},
		{gvrCR, "", "istiod"}, {gvrMWeb, "", "istio-sidecar-injector"}} {
		var err error
		if x.ns != "" {
			_, err = dyn.Resource(x.gvr).Namespace(x.ns).Get(t.Context(), x.name, metav1.GetOptions{})
		} else {
			_, err = dyn.Resource(x.gvr).Get(t.Context(), x.name, metav1.GetOptions{})
		}
		assert.True(t, apierrors.IsNotFound(err), "%s %s removed: %v", x.gvr.Resource, x.name, err)
	}
	_, err = dyn.Resource(gvrCR).Get(t.Context(), "shared", metav1.GetOptions{})
	assert.NoError(t, err, "the foreign ClusterRole is left")
}
