package e2e

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

const graphScenario = `
name: graph
kind: app
lanes: [none, mesh]
warmup: 500ms
duration: 2s
matrix: {qps: [100], connections: [4], payload_bytes: [0], mtls: [true]}
graph:
  services:
    - {name: front, work: 20us, response_bytes: 256, calls: [a, b]}
    - {name: a, calls: [c]}
    - {name: b}
    - {name: c}
`

func TestServiceGraphOnLocalPlatform(t *testing.T) {
	res, _ := runLocal(t, graphScenario)
	require.Len(t, res, 2)
	for _, r := range res {
		assert.Greater(t, r.Requests, int64(50), r.Key())
		assert.Zero(t, r.Errors, "every hop answered: %v", r.ErrorsByStatus)
		apps, proxies := 0, 0
		for _, c := range r.Components {
			switch c.Role {
			case results.RoleApp:
				apps++
				assert.Greater(t, c.CPUSeconds, 0.0, c.Name)
			case results.RoleServerProxy, results.RoleClientProxy:
				proxies++
				assert.Greater(t, c.CPUSeconds, 0.0, c.Name)
			}
		}
		assert.Equal(t, 4, apps, "one app per service")
		assertNoGraphReason(t, r)
		require.Len(t, r.GraphEdges, 3, "front->a, front->b, a->c")
		for _, e := range r.GraphEdges {
			assert.True(t, e.OK, e.String())
		}
		if r.Lane == "mesh" {
			assert.Equal(t, 5, proxies, "a sidecar per service plus the load client's")
			assert.NotNil(t, r.Component(results.RoleControlPlane), "the graph's proxies run on xDS from meshcontrol")
		} else {
			assert.Zero(t, proxies)
		}
	}
}

// TestIsotopeChainCallCountsOnLocalPlatform: a -> b -> c where b is a gRPC
// service (a calls it over gRPC, it calls c over HTTP), in both lanes.
func TestIsotopeChainCallCountsOnLocalPlatform(t *testing.T) {
	dir := t.TempDir()
	topo := filepath.Join(dir, "chain.yaml")
	require.NoError(t, os.WriteFile(topo, []byte(`defaults: {requestSize: 1 KB, responseSize: 1 KB}
services:
- {name: a, isEntrypoint: true, script: [{call: b}]}
- {name: b, type: grpc, script: [{sleep: 1ms}, {call: c}]}
- {name: c}
`), 0o644))
	res, _ := runLocal(t, fmt.Sprintf(`
name: isotope-chain
kind: app
lanes: [none, mesh]
warmup: 300ms
duration: 1s
matrix: {qps: [100], connections: [2], payload_bytes: [0]}
graph: {isotope: %s}
`, topo))
	require.Len(t, res, 2)
	for _, r := range res {
		assertNoGraphReason(t, r)
		assert.Zero(t, r.Errors, "%v", r.ErrorsByStatus)
		require.Len(t, r.GraphEdges, 2, r.Key())
		for _, e := range r.GraphEdges {
			assert.True(t, e.OK, e.String())
			assert.GreaterOrEqual(t, e.Calls, r.Requests, "every measured request went down the chain: %s", e)
			assert.InDelta(t, e.Expected, float64(e.Calls), 2, "a chain is exact: %s", e)
		}
	}
}

// assertNoGraphReason: the graph's counters were read and every edge met
// its expectation (validity as a whole also depends on this busy machine).
func assertNoGraphReason(t *testing.T, r *results.Result) {
	t.Helper()
	for _, reason := range r.InvalidReasons {
		assert.NotContains(t, reason, "graph", r.Key())
	}
}

// TestWeightedSplitOnLocalPlatform: front calls "reviews", a split over
// three versions weighted 50/30/20. In the mesh lane the app knows one
// address (its sidecar's outbound listener for reviews): meshcontrol turns
// the split into xDS weighted_clusters and the sidecar picks, so each
// version's share of the calls is the proxies' doing; with no mesh the app
// picks. Either way each version's count lies within binomial bounds.
func TestWeightedSplitOnLocalPlatform(t *testing.T) {
	dir := t.TempDir()
	topo := filepath.Join(dir, "split.yaml")
	require.NoError(t, os.WriteFile(topo, []byte(`services:
- {name: front, isEntrypoint: true, script: [{call: reviews}]}
- {name: reviews-v1}
- {name: reviews-v2, script: [{call: ratings}]}
- {name: reviews-v3, script: [{call: ratings}]}
- {name: ratings}
splits:
- name: reviews
  versions: [{service: reviews-v1, weight: 50}, {service: reviews-v2, weight: 30}, {service: reviews-v3, weight: 20}]
`), 0o644))
	res, _ := runLocal(t, fmt.Sprintf(`
name: split
kind: app
lanes: [none, mesh]
warmup: 300ms
duration: 2s
matrix: {qps: [300], connections: [4], payload_bytes: [0], mtls: [true]}
graph: {isotope: %s}
`, topo))
	require.Len(t, res, 2)
	weights := map[string]float64{"reviews-v1": 0.5, "reviews-v2": 0.3, "reviews-v3": 0.2}
	for _, r := range res {
		assertNoGraphReason(t, r)
		assert.Zero(t, r.Errors, "%v", r.ErrorsByStatus)
		edges := map[string]results.GraphEdge{}
		for _, e := range r.GraphEdges {
			edges[e.From+">"+e.To] = e
			assert.True(t, e.OK, e.String())
		}
		n := float64(edges["front>reviews"].Calls)
		require.Greater(t, n, 300.0, r.Key())
		var sum int64
		for v, p := range weights {
			e, ok := edges["reviews>"+v]
			require.True(t, ok, "%s: edge reviews -> %s recorded", r.Key(), v)
			sigma := math.Sqrt(n * p * (1 - p))
			assert.InDelta(t, n*p, float64(e.Calls), 4*sigma, "%s: %s's share of %v calls (weight %v)", r.Key(), v, n, p)
			sum += e.Calls
		}
		assert.InDelta(t, n, float64(sum), 2, "every call to reviews reached one version")
		assertHops(t, r)
	}
}

// assertHops: in the mesh lane every edge carries its latency from the
// sidecars' histograms over the measured window; with no mesh none does.
func assertHops(t *testing.T, r *results.Result) {
	t.Helper()
	for _, e := range r.GraphEdges {
		if r.Lane != "mesh" {
			assert.Nil(t, e.Hop, "no sidecars, no hop latency: %s", e)
			continue
		}
		require.NotNil(t, e.Hop, "%s", e)
		assert.Greater(t, e.Hop.Requests, int64(0), "%s", e)
		assert.LessOrEqual(t, e.Hop.Requests, e.Calls, "the window's requests are a part of the run's: %s", e)
		assert.Greater(t, e.Hop.CalleeMeanMs, 0.0, "%s", e)
		assert.Greater(t, e.Hop.MeanMs, e.Hop.CalleeMeanMs, "the caller's sidecar sees the callee's time and more: %s", e)
		assert.InDelta(t, e.Hop.MeanMs-e.Hop.CalleeMeanMs, e.Hop.HopMeanMs, 1e-9)
		assert.LessOrEqual(t, e.Hop.P50Ms, e.Hop.P99Ms, "%s", e)
	}
}
