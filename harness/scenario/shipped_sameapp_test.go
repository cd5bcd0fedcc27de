package scenario

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShippedSameAppScenario holds docs/kind.md's description of
// kind-sameapp.yaml: the app in the none lane and in the three mesh
// lanes, without mTLS (clientonly and serveronly cannot have it), twice.
func TestShippedSameAppScenario(t *testing.T) {
	s, err := Load("../../scenarios/synthetic/kind-sameapp.yaml")
	require.NoError(t, err)
	assert.Equal(t, []string{"none", "mesh/both", "mesh/clientonly", "mesh/serveronly"}, s.Lanes)
	assert.Equal(t, []bool{false}, s.Matrix.MTLS)
	assert.Equal(t, []float64{500}, s.Matrix.QPS)
	assert.Equal(t, 2, s.Repetitions)
}
