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
