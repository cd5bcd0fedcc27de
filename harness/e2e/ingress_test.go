package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
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
		assertCarried(t, r, name)
		assert.True(t, r.Mesh.XDS && r.Mesh.MTLS, "%s: configured by meshcontrol, mTLS on", name)
		assert.NotEmpty(t, r.Mesh.Extra[results.ExtraProxyBinaryBytes], "%s: the proxy binary's size is recorded", name)
		assertIngressComponents(t, r, name, results.RoleControlPlane)
	}
	assert.Equal(t, map[string]int{"mesh/ingress": 2, "mesh/ingress+both": 2}, seen, "http1 and grpc in both ingress modes")
}

// refIngressScenario drives the reference proxies' ingress modes from a
// scenario file, as a user runs them: HAProxy and nginx as the gateway and
// the sidecars, mTLS off and on (gateway -> server sidecar), HTTP/1.1 and
// gRPC (HAProxy only: nginx says why not up front).
const refIngressScenario = `
name: e2e-ref-ingress
kind: synthetic
lanes: [haproxy/ingress, haproxy/ingress+both, nginx/ingress, nginx/ingress+both]
repetitions: 1
warmup: 300ms
duration: 1s
matrix: {qps: [200], connections: [4], payload_bytes: [512], protocol: [http1, grpc], mtls: [false, true]}
`

func TestReferenceIngressLanes(t *testing.T) {
	res, _ := runLocal(t, refIngressScenario)
	require.Len(t, res, 16, "4 lanes x 2 protocols x mTLS off and on")
	seen := map[string]int{}
	for _, r := range res {
		name := fmt.Sprintf("%s %s mtls=%v", r.LaneLabel(), r.Case.Protocol, r.Case.MTLS)
		if r.Lane == results.LaneNginx && r.Case.Protocol == results.ProtocolGRPC {
			assert.False(t, r.Valid, name)
			assert.Zero(t, r.Requests, "%s: an unavailable case is never run", name)
			continue
		}
		if _, err := exec.LookPath(r.Lane); err != nil {
			if _, err := os.Stat("/usr/sbin/" + r.Lane); err != nil {
				assert.False(t, r.Valid, "%s: not installed, so unavailable", name)
				continue
			}
		}
		seen[r.LaneLabel()]++
		assertCarried(t, r, name)
		assert.Equal(t, r.Lane, r.Mesh.Proxy, name)
		assert.Equal(t, r.Case.MTLS, r.Mesh.MTLS, name)
		assert.Equal(t, "ingress", r.Mesh.Extra["gateway"], name)
		assertIngressComponents(t, r, name)
	}
	for label, n := range seen {
		want := 2 // mTLS off and on
		if strings.HasPrefix(label, results.LaneHAProxy) {
			want = 4 // and in both protocols
		}
		assert.Equal(t, want, n, label)
	}
}

// assertCarried checks that a run carried its requests, none failed, and
// recorded the data path's features.
func assertCarried(t *testing.T, r *results.Result, name string) {
	t.Helper()
	assert.Greater(t, r.Requests, int64(30), name)
	assert.Zero(t, r.Errors, "%s: %v %v", name, r.ErrorsByStatus, r.InvalidReasons)
	require.NotNil(t, r.Mesh, name)
}

// assertIngressComponents checks that an ingress run measured each
// component on its path (the client sidecar in ingress+both), plus extra
// roles, and the gateway as its own component, named as in every lane,
// having carried the load.
func assertIngressComponents(t *testing.T, r *results.Result, name string, extra ...string) {
	t.Helper()
	var roles []string
	for _, c := range r.Components {
		roles = append(roles, c.Role)
		if c.Role == results.RoleGateway {
			assert.Equal(t, "ingress-gateway", c.Name, name)
			assert.Positive(t, c.CPUSeconds, "%s: the gateway carried the load", name)
		}
	}
	sort.Strings(roles)
	want := append([]string{results.RoleApp, results.RoleGateway, results.RoleLoadgen, results.RoleServerProxy}, extra...)
	if r.Mode == results.ModeIngressBoth {
		want = append(want, results.RoleClientProxy)
	}
	sort.Strings(want)
	assert.Equal(t, want, roles, "%s: the components on the path, each measured", name)
}
