package peers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// minimal is the smallest stream the Istio pin accepts: its stamp, every
// required kind, the pinned images (pilot in the Deployment, proxyv2 as the
// injector's values name it).
func minimal(p Peer) string {
	// Istio's sidecar image is named by the injector's values only;
	// Linkerd's also runs in its control plane's pods.
	sidecar := p.Images[0]
	if p.Name == "linkerd" {
		sidecar = p.Images[len(p.Images)-1]
	}
	return p.Stamp() + `
apiVersion: v1
kind: Namespace
metadata: {name: ` + p.Namespace + `}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.io}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ctl, namespace: ` + p.Namespace + `}
spec:
  template:
    spec:
      initContainers: [{name: init, image: "` + sidecar + `"}]
      containers: [{name: c, image: "` + p.Images[0] + `"}]
---
{apiVersion: v1, kind: Service, metadata: {name: ctl}}
---
{apiVersion: v1, kind: ServiceAccount, metadata: {name: ctl}}
---
{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {values: '{"hub": "docker.io/istio", "proxy": {"image": "proxyv2"}, "tag": "` + IstioTag + `"}'}}
---
{apiVersion: v1, kind: Secret, metadata: {name: s}}
---
{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}}
---
{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: r}}
---
{apiVersion: admissionregistration.k8s.io/v1, kind: MutatingWebhookConfiguration, metadata: {name: inject}}
`
}

func TestParseAcceptsACompleteInstall(t *testing.T) {
	for _, p := range All() {
		t.Run(p.Name, func(t *testing.T) {
			m, err := Parse([]byte(minimal(p)), p)
			require.NoError(t, err)
			assert.Len(t, m.Objects, 10)
			assert.Equal(t, p.Images, m.Images, "the pinned images, sorted and once each")
		})
	}
}

func TestParseRefuses(t *testing.T) {
	p := Istio()
	good := minimal(p)
	tests := []struct {
		name, data, want string
	}{
		{"no stamp", strings.SplitN(good, "\n", 2)[1], "is not the pinned stamp"},
		{"another pin", strings.Replace(good, IstioModuleVersion, "v0.0.0-20200101000000-000000000000", 1), "generated at another pin"},
		{"foreign namespace", good + "---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: x, namespace: kube-system}}\n", `ConfigMap x is in namespace "kube-system"`},
		{"unnamed object", good + "---\n{apiVersion: v1, kind: ConfigMap, metadata: {}}\n", "document 11: an object needs apiVersion, kind and metadata.name"},
		{"missing kind", strings.Replace(good, "kind: MutatingWebhookConfiguration", "kind: ValidatingWebhookConfiguration", 1), "no MutatingWebhookConfiguration object"},
		{"no own namespace", strings.Replace(good, "metadata: {name: istio-system}", "metadata: {name: other}", 1), "no Namespace istio-system"},
		{"unpinned sidecar image", strings.Replace(good, `"tag": "`+IstioTag+`"`, `"tag": "1.0.0"`, 1), "the pinned image docker.io/istio/proxyv2:" + IstioTag + " is named nowhere"},
		{"not YAML", good + "---\nkind: [unclosed\n", "document 11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data), p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir, Linkerd())
	require.ErrorIs(t, err, ErrNotGenerated)
	assert.Contains(t, err.Error(), "make peer-manifests")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "linkerd.yaml"), []byte(minimal(Linkerd())), 0o600))
	m, err := Load(dir, Linkerd())
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "linkerd.yaml"), m.Path)

	// A huge file is refused before it is parsed.
	huge := minimal(Istio()) + "# " + strings.Repeat("x", maxManifestBytes) + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "istio.yaml"), []byte(huge), 0o600))
	_, err = Load(dir, Istio())
	require.ErrorContains(t, err, "istio.yaml: larger than 32 MiB")
}

func TestPodImages(t *testing.T) {
	m, err := Parse([]byte(minimal(Istio())+`---
apiVersion: batch/v1
kind: CronJob
metadata: {name: hb, namespace: istio-system}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: hb, image: "example.io/heartbeat:1"}]}}}}}
`), Istio())
	require.NoError(t, err)
	assert.Contains(t, m.Images, "example.io/heartbeat:1", "a CronJob's pod template counts")
}

func TestLookup(t *testing.T) {
	p, ok := Lookup("linkerd")
	require.True(t, ok)
	assert.Equal(t, "linkerd", p.Namespace)
	_, ok = Lookup("mesh")
	assert.False(t, ok)
}
