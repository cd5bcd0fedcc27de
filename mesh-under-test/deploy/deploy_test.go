package deploy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
