package e2e

import (
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
		if r.Lane == "mesh" {
			assert.Equal(t, 5, proxies, "a sidecar per service plus the load client's")
			assert.NotNil(t, r.Component(results.RoleControlPlane), "the graph's proxies run on xDS from meshcontrol")
		} else {
			assert.Zero(t, proxies)
		}
	}
}
