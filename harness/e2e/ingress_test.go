package e2e

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// ingressScenario drives the mesh's ingress modes on the local platform
// (meshcontrol, meshproxy as the ingress gateway, the server sidecar; the
// client sidecar too in ingress+both) with mTLS between the gateway and
// the server sidecar, over HTTP/1.1 and gRPC; tcp is not carried.
const ingressScenario = `
name: e2e-ingress
kind: synthetic
lanes: [mesh/ingress, mesh/ingress+both]
repetitions: 1
warmup: 300ms
duration: 1500ms
matrix: {qps: [200], connections: [4], payload_bytes: [512], protocol: [http1, grpc, tcp], mtls: [true]}
mesh: {workers: 1}
`

func TestIngressLanes(t *testing.T) {
	res, _ := runLocal(t, ingressScenario)
	seen := map[string]int{}
	for _, r := range res {
		name := r.LaneLabel() + " " + r.Case.Protocol
		if r.Case.Protocol == results.ProtocolTCP {
			assert.False(t, r.Valid, name)
			assert.Zero(t, r.Requests, "%s: an unavailable case is never run", name)
			continue
		}
		seen[r.LaneLabel()]++
		assert.Greater(t, r.Requests, int64(30), name)
		assert.Zero(t, r.Errors, "%s: %v %v", name, r.ErrorsByStatus, r.InvalidReasons)
		require.NotNil(t, r.Mesh, name)
		assert.True(t, r.Mesh.XDS && r.Mesh.MTLS, "%s: configured by meshcontrol, mTLS on", name)
		var roles []string
		for _, c := range r.Components {
			roles = append(roles, c.Role)
			if c.Role == results.RoleGateway {
				assert.Positive(t, c.CPUSeconds, "%s: the gateway carried the load", name)
			}
		}
		sort.Strings(roles)
		want := []string{results.RoleApp, results.RoleControlPlane, results.RoleGateway, results.RoleLoadgen, results.RoleServerProxy}
		if r.Mode == results.ModeIngressBoth {
			want = append(want, results.RoleClientProxy)
		}
		sort.Strings(want)
		assert.Equal(t, want, roles, "%s: the components on the path, each measured", name)
	}
	assert.Equal(t, map[string]int{"mesh/ingress": 2, "mesh/ingress+both": 2}, seen, "http1 and grpc in both ingress modes")
}
