package translate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const twoServices = `services:
  - {name: a, endpoints: [{address: '127.0.0.1:9001'}]}
  - {name: b, endpoints: [{address: '127.0.0.1:9002'}]}
proxies:
  - {id: p, outbound: [{address: '127.0.0.1:15001'}]}
  - {id: q, outbound: [{address: '127.0.0.1:15001'}]}
`

func TestTranslatorReusesUnchangedServices(t *testing.T) {
	var tr Translator
	first, err := tr.Build(parse(t, twoServices))
	require.NoError(t, err)
	changed := parse(t, twoServices)
	changed.Services[1].Endpoints[0].Address = "127.0.0.1:9003"
	second, err := tr.Build(changed)
	require.NoError(t, err)

	p1, p2 := first["p"], second["p"]
	assert.Same(t, p1.Resources.Clusters[0], p2.Resources.Clusters[0], "service a untouched: same values")
	assert.Same(t, p1.Resources.Endpoints[0], p2.Resources.Endpoints[0])
	assert.NotSame(t, p1.Resources.Endpoints[1], p2.Resources.Endpoints[1], "service b rebuilt")
	assert.Equal(t, p1.Hashes[TypeCluster], p2.Hashes[TypeCluster], "clusters did not change")
	assert.NotEqual(t, p1.Hashes[TypeEndpoint], p2.Hashes[TypeEndpoint])
	assert.Equal(t, p1.Versions(TypeEndpoint)["outbound|a"], p2.Versions(TypeEndpoint)["outbound|a"])
	assert.NotEqual(t, p1.Versions(TypeEndpoint)["outbound|b"], p2.Versions(TypeEndpoint)["outbound|b"])

	// Proxies with the same egress share their load assignments.
	q2 := second["q"]
	assert.Equal(t, p2.Group, q2.Group)
	assert.Same(t, p2.Resources.Endpoints[1], q2.Resources.Endpoints[1])

	// A stateless Build gives the same content.
	fresh, err := Build(changed)
	require.NoError(t, err)
	assert.Equal(t, fresh["p"].Hashes, p2.Hashes)
}
