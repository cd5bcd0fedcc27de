package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshbench/meshbench/harness/peers"
)

// kinds counts a manifest's objects by kind.
func kinds(objs []*unstructured.Unstructured) map[string]int {
	out := map[string]int{}
	for _, u := range objs {
		out[u.GetKind()]++
	}
	return out
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	i := slices.IndexFunc(objs, func(u *unstructured.Unstructured) bool { return u.GetKind() == kind && u.GetName() == name })
	if i < 0 {
		return nil
	}
	return objs[i]
}

// TestIstioManifest renders the pinned Istio's charts from its module (the
// module proxy, or the module cache) and checks the install: istiod at the
// pinned images, its injector webhook, Istio's CRDs, nothing outside
// istio-system.
func TestIstioManifest(t *testing.T) {
	src := os.Getenv("MESHBENCH_ISTIO_SRC")
	if src == "" {
		var err error
		if src, err = moduleDir(peers.IstioModule, peers.IstioModuleVersion); err != nil {
			t.Skipf("Istio's module is not reachable here: %v", err)
		}
	}
	dir := t.TempDir()
	require.NoError(t, generate(dir, peers.Istio(), src, renderIstio))
	m, err := peers.Load(dir, peers.Istio())
	require.NoError(t, err)
	k := kinds(m.Objects)
	assert.GreaterOrEqual(t, k["CustomResourceDefinition"], 10, "Istio's CRDs (VirtualService, PeerAuthentication, ...)")
	assert.Equal(t, 1, k["Deployment"], "istiod only")
	assert.NotNil(t, find(m.Objects, "CustomResourceDefinition", "peerauthentications.security.istio.io"), "the lane writes a PeerAuthentication")
	assert.NotNil(t, find(m.Objects, "MutatingWebhookConfiguration", "istio-sidecar-injector"))
	d := find(m.Objects, "Deployment", "istiod")
	require.NotNil(t, d)
	assert.Equal(t, []string{peers.IstioHub + "/pilot:" + peers.IstioTag}, peers.PodImages(d))
	assert.Equal(t, "istio-system", d.GetNamespace())
	repl, _, _ := unstructured.NestedFieldNoCopy(d.Object, "spec", "replicas")
	assert.EqualValues(t, 1, repl, "one istiod: its cost is measured")
	assert.Zero(t, kinds(m.Objects)["HorizontalPodAutoscaler"], "no autoscaler")
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	require.Len(t, cs, 1)
	cpu, _, _ := unstructured.NestedString(cs[0].(map[string]any), "resources", "requests", "cpu")
	assert.Equal(t, "100m", cpu, "requests lowered so istiod schedules on a small node")
	assert.Equal(t, []string{"docker.io/istio/pilot:" + peers.IstioTag, "docker.io/istio/proxyv2:" + peers.IstioTag}, m.Images)

	// Current manifests are kept: a second run rewrites nothing.
	st, err := os.Stat(m.Path)
	require.NoError(t, err)
	require.NoError(t, run([]string{"-o", dir, "-only", "istio"}))
	st2, err := os.Stat(m.Path)
	require.NoError(t, err)
	assert.Equal(t, st.ModTime(), st2.ModTime())
}

// TestLinkerdManifest renders the pinned Linkerd's charts: from
// MESHBENCH_LINKERD_SRC (a checkout at the pinned tag) or its module.
func TestLinkerdManifest(t *testing.T) {
	src := os.Getenv("MESHBENCH_LINKERD_SRC")
	if src == "" {
		var err error
		if src, err = moduleDir(peers.LinkerdModule, peers.LinkerdModuleVersion); err != nil {
			t.Skipf("Linkerd's module is not reachable here (set MESHBENCH_LINKERD_SRC to a checkout at %s): %v", peers.LinkerdVersion, err)
		}
	}
	dir := t.TempDir()
	require.NoError(t, generate(dir, peers.Linkerd(), src, renderLinkerd))
	m, err := peers.Load(dir, peers.Linkerd())
	require.NoError(t, err)
	ns := find(m.Objects, "Namespace", "linkerd")
	require.NotNil(t, ns, "rendered as the linkerd CLI does, with its namespace")
	assert.Equal(t, "disabled", ns.GetAnnotations()["linkerd.io/inject"])
	for _, name := range []string{"linkerd-destination", "linkerd-identity", "linkerd-proxy-injector"} {
		d := find(m.Objects, "Deployment", name)
		if assert.NotNil(t, d, name) {
			for _, img := range peers.PodImages(d) {
				assert.True(t, strings.HasSuffix(img, ":"+peers.LinkerdVersion), "%s: %s at the pinned version", name, img)
			}
		}
	}
	assert.NotNil(t, find(m.Objects, "MutatingWebhookConfiguration", "linkerd-proxy-injector-webhook-config"))
	// The identity issuer generated for this install is in its Secret.
	sec := find(m.Objects, "Secret", "linkerd-identity-issuer")
	require.NotNil(t, sec)
	data, _, _ := unstructured.NestedStringMap(sec.Object, "data")
	assert.NotEmpty(t, data["crt.pem"])
	info, err := os.Stat(filepath.Join(dir, "linkerd.yaml"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "it holds the issuer's key")
}

// TestGenerateRefusesABrokenRender: a render that fails its check is kept
// as .rejected, never where a platform would load it.
func TestGenerateRefusesABrokenRender(t *testing.T) {
	dir := t.TempDir()
	err := generate(dir, peers.Istio(), "unused", func(string) ([]byte, error) {
		return []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: istio-system}\n"), nil
	})
	require.ErrorContains(t, err, "fails its check")
	assert.NoFileExists(t, filepath.Join(dir, "istio.yaml"))
	assert.FileExists(t, filepath.Join(dir, "istio.yaml.rejected"))
}
