package e2e

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// protocolsScenario drives every non-HTTP/1.1 protocol of the catalog
// through the baseline, the mesh (meshcontrol + two meshproxy sidecars, with
// and without mTLS; h2 and gRPC on the proxy's default, lean HTTP/2 path),
// HAProxy and httputil (h2 only), and asks the lanes that cannot carry them
// (httputil: gRPC, TCP) to say so up front.
const protocolsScenario = `
name: e2e-protocols
kind: synthetic
lanes: [none, mesh/both, haproxy, httputil]
repetitions: 1
warmup: 300ms
duration: 1500ms
matrix: {qps: [200], connections: [4], payload_bytes: [512], protocol: [h2, grpc, tcp], mtls: [false, true]}
mesh: {workers: 1}
`

func TestEveryProtocolThroughTheMesh(t *testing.T) {
	res, _ := runLocal(t, protocolsScenario)
	_, errHAProxy := exec.LookPath("haproxy")
	seen := map[string]int{}
	for _, r := range res {
		name := r.Lane + " " + r.Case.Protocol
		if r.Case.MTLS {
			name += " mtls"
		}
		switch {
		case r.Lane == results.LaneNone && r.Case.MTLS:
			continue // no proxy, no TLS: the plan may skip or mark it
		case r.Lane == results.LaneHTTPUtil && r.Case.Protocol != results.ProtocolH2:
			assert.NotEmpty(t, r.Unavailable, name)
			assert.False(t, r.Valid, name)
			assert.Zero(t, r.Requests, "%s: an unavailable case is never run", name)
			continue
		case r.Lane == results.LaneHAProxy && errHAProxy != nil:
			continue // not installed: reported unavailable by the lane
		}
		seen[r.Lane]++
		// Validity may fail on a busy machine (a starved load client); the
		// protocol path must not: every request answered, none failed.
		// How many of the 300 slots went out depends on how busy the machine
		// is; that the path carried them without a failure does not.
		assert.Greater(t, r.Requests, int64(30), name)
		if assert.NotNil(t, r.Schedule, name) {
			assert.Equal(t, r.Schedule.Slots, r.Requests+r.Schedule.NotSent, "%s: every slot sent or charged", name)
		}
		assert.Zero(t, r.Errors, "%s: %v %v", name, r.ErrorsByStatus, r.InvalidReasons)
		if r.Lane == results.LaneMesh {
			require.NotNil(t, r.Mesh, name)
			assert.True(t, r.Mesh.XDS, "%s: configured by meshcontrol", name)
			assert.Equal(t, "meshcontrol", r.Mesh.Extra["control_plane"], name)
			assert.NotEmpty(t, r.Mesh.Extra[results.ExtraProxyBinaryBytes], "%s: the proxy binary's size is recorded on meshcontrol too", name)
		}
	}
	assert.Equal(t, 6, seen[results.LaneMesh], "h2, grpc and tcp, with and without mTLS")
	assert.GreaterOrEqual(t, seen[results.LaneNone], 2)
}
