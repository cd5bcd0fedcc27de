package e2e

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// nacks sums meshcontrol's NACK counter over every type.
func nacks(t *testing.T, admin string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	sum := 0.0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "meshcontrol_xds_nacks_total{") {
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			require.NoError(t, err, line)
			sum += v
		}
	}
	return sum
}

// TestNackThenGoodUpdateApplies: a mesh file with a retry_on no proxy
// implements is rejected by meshcontrol itself (the one catalog of retry
// conditions checks the file), so it never reaches a proxy and the old
// configuration keeps serving; a listener a proxy cannot bind is NACKed
// and the old one keeps serving; the corrected file after each is
// applied. Over both xDS variants.
func TestNackThenGoodUpdateApplies(t *testing.T) {
	for _, protocol := range []string{"delta", "sotw"} {
		t.Run(protocol, func(t *testing.T) { nackThenGood(t, protocol) })
	}
}

func nackThenGood(t *testing.T, protocol string) {
	rule := func(on string, status uint32) func(*meshconfig.Policy) {
		return func(p *meshconfig.Policy) {
			p.Routes = []meshconfig.ServiceRoutes{{Service: "web", Rules: []meshconfig.Rule{{
				Match:   meshconfig.Match{PathPrefix: "/probe"},
				Retries: &meshconfig.Retries{Attempts: 1, On: on},
				Fault:   &meshconfig.Fault{Abort: &meshconfig.FaultAbort{Percent: 100, Status: status}},
			}}}}
		}
	}
	m := newMesh(t, meshconfig.MTLSDisable, rule("5xx", 418), "--xds-protocol", protocol)
	await(t, m.outA, "GET", "/probe", 418)

	m.write(meshconfig.MTLSDisable, rule("retriable-4xx-that-does-not-exist", 419), 2)
	got, err := raw(m.outA, "GET", "/probe")
	require.NoError(t, err)
	assert.Equal(t, 418, got, "after a rejected file the last good configuration keeps serving")

	m.write(meshconfig.MTLSDisable, rule("5xx", 420), 3)
	await(t, m.outA, "GET", "/probe", 420)
	// Had meshcontrol pushed the unknown condition, the proxies (which
	// parse it with the same catalog) would have NACKed it.
	assert.Zero(t, nacks(t, m.controlA), "the rejected file never reached a proxy")

	// A listener the proxy cannot bind (the port is taken) is NACKed too;
	// the next file, on a free port, is applied.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	old, before := m.outA, nacks(t, m.controlA)
	m.outA = taken.Addr().String()
	m.write(meshconfig.MTLSDisable, rule("5xx", 420), 4)
	require.Eventually(t, func() bool { return nacks(t, m.controlA) > before }, 10*time.Second, 20*time.Millisecond, "the proxy NACKs the listener")
	got, err = raw(old, "GET", "/probe")
	require.NoError(t, err)
	assert.Equal(t, 420, got, "the old listener keeps serving")
	m.outA = freeAddr(t)
	m.write(meshconfig.MTLSDisable, rule("5xx", 421), 5)
	await(t, m.outA, "GET", "/probe", 421)
}
