package deploy

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshbench/meshbench/mesh-under-test/control/app"
)

func TestMeshcontrol(t *testing.T) {
	out, err := Meshcontrol("ns1", "meshbench.local/meshcontrol:abc")
	require.NoError(t, err)
	assert.NotContains(t, out, "${")
	assert.Contains(t, out, "image: meshbench.local/meshcontrol:abc")
	assert.Contains(t, out, "--namespaces=ns1")
	_, err = Meshcontrol("", "x")
	assert.Error(t, err)
}

// TestMeshcontrolAdminOnLoopback: the manifest keeps admin (metrics, pprof)
// on 127.0.0.1 and points the readiness probe at the /ready-only health
// listener on the pod IP.
func TestMeshcontrolAdminOnLoopback(t *testing.T) {
	out, err := Meshcontrol("ns1", "img:1")
	require.NoError(t, err)
	assert.Contains(t, out, "--admin=127.0.0.1:15014")
	assert.Contains(t, out, "--health=0.0.0.0:15021")
	assert.Contains(t, out, "httpGet: {path: /ready, port: 15021}")
	assert.NotContains(t, out, "--admin=0.0.0.0")
	assert.NotContains(t, out, "containerPort: 15014")
}

// TestMeshcontrolPerNodeTokens: meshcontrol reads the node token secret
// from the Secret deploy.TokenSecret, not a mesh-wide bootstrap token.
func TestMeshcontrolPerNodeTokens(t *testing.T) {
	out, err := Meshcontrol("ns1", "img:1")
	require.NoError(t, err)
	assert.Contains(t, out, "- name: MESH_NODE_TOKEN_SECRET\n          valueFrom: {secretKeyRef: {name: "+TokenSecret+", key: "+NodeTokenSecretKey+"}}")
	assert.NotContains(t, out, "MESH_BOOTSTRAP_TOKEN")
	assert.NotContains(t, out, "bootstrap-token")
}

// TestMeshcontrolServesTLS: meshcontrol's pod runs with --tls and a
// --ca-dir that is the Secret CASecret, mounted read-only, so the root the
// sidecars trust (RootConfigMap) is the one it signs with; its serving
// certificate carries ServerName by default (DefaultTLSNames).
func TestMeshcontrolServesTLS(t *testing.T) {
	out, err := Meshcontrol("ns1", "img:1")
	require.NoError(t, err)
	var pod *corev1.Pod
	for _, doc := range strings.Split(out, "\n---\n") {
		var p corev1.Pod
		require.NoError(t, yaml.Unmarshal([]byte(doc), &p))
		if p.Kind == "Pod" {
			pod = &p
		}
	}
	require.NotNil(t, pod, "the manifest has meshcontrol's pod")
	require.Len(t, pod.Spec.Containers, 1)
	c := pod.Spec.Containers[0]
	assert.Contains(t, c.Args, "--tls")
	var caDir string
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--ca-dir="); ok {
			caDir = v
		}
	}
	require.NotEmpty(t, caDir, "--tls needs --ca-dir")
	var vol string
	for _, m := range c.VolumeMounts {
		if m.MountPath == caDir {
			vol = m.Name
			assert.True(t, m.ReadOnly, "the CA root is mounted read-only")
		}
	}
	require.NotEmpty(t, vol, "--ca-dir %s is a mounted volume", caDir)
	for _, v := range pod.Spec.Volumes {
		if v.Name == vol {
			require.NotNil(t, v.Secret, "the CA root (its private key) comes from a Secret, not a ConfigMap")
			assert.Equal(t, CASecret, v.Secret.SecretName)
		}
	}
	assert.True(t, slices.Contains(app.DefaultTLSNames, ServerName), "meshcontrol's certificate names %s by default", ServerName)
}
