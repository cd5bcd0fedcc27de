package scenario

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// TestShippedProtocolScenarios holds README's claims about the protocol
// scenarios: protocols.yaml covers every protocol of the catalog with and
// without mTLS; protocols-tail.yaml is its h2 and TCP cases against HAProxy
// with more and longer runs; and Istio's sweep runs with mTLS on, as Istio
// publishes it.
func TestShippedProtocolScenarios(t *testing.T) {
	p, err := Load("../../scenarios/synthetic/protocols.yaml")
	require.NoError(t, err)
	assert.ElementsMatch(t, results.Protocols(), p.Matrix.Protocol)
	assert.ElementsMatch(t, []bool{false, true}, p.Matrix.MTLS)
	assert.Subset(t, p.Lanes, []string{"none", "mesh/both", "haproxy", "nginx"})

	tail, err := Load("../../scenarios/synthetic/protocols-tail.yaml")
	require.NoError(t, err)
	assert.Equal(t, []string{"none", "mesh/both", "haproxy"}, tail.Lanes)
	assert.ElementsMatch(t, []string{results.ProtocolH2, results.ProtocolTCP}, tail.Matrix.Protocol)
	assert.ElementsMatch(t, []bool{false, true}, tail.Matrix.MTLS)
	assert.Equal(t, p.Matrix.QPS, tail.Matrix.QPS, "the same case as protocols.yaml")
	assert.Equal(t, p.Matrix.Connections, tail.Matrix.Connections)
	assert.Equal(t, p.Matrix.PayloadBytes, tail.Matrix.PayloadBytes)
	assert.Equal(t, p.Mesh, tail.Mesh)
	assert.Equal(t, 5, tail.Repetitions, "more repetitions than protocols.yaml's")
	assert.Greater(t, tail.Duration.Duration, p.Duration.Duration, "longer runs: more requests above each p99")

	i, err := Load("../../scenarios/synthetic/istio-latency.yaml")
	require.NoError(t, err)
	assert.Equal(t, []bool{true}, i.Matrix.MTLS)

	g, err := Load("../../scenarios/synthetic/ingress.yaml")
	require.NoError(t, err)
	assert.Equal(t, []string{"none", "mesh/both", "mesh/ingress", "mesh/ingress+both", "haproxy/ingress", "haproxy/ingress+both",
		"nginx/ingress", "nginx/ingress+both"}, g.Lanes, "the ingress lanes of the three proxies beside none and both, one run")
	assert.ElementsMatch(t, []bool{false, true}, g.Matrix.MTLS)
	assert.Equal(t, []float64{1000}, g.Matrix.QPS)
}
