package summary

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

func res(lane, mode string, p50, qps float64, valid bool, comps ...results.Component) *results.Result {
	return &results.Result{Lane: lane, Mode: mode, Case: results.Case{Name: "c"}, Valid: valid, AchievedQPS: qps, Requests: 100,
		Latency: results.Percentiles{P50: p50, P90: 2 * p50, P99: 3 * p50, P999: 4 * p50}, Components: comps}
}

func proxy(role string, us float64, rss int64) results.Component {
	return results.Component{Role: role, CPUUsPerRequest: us, RSSBytesPeak: rss, PSSBytesSteady: rss / 2}
}

func TestRowsTakeMediansOfValidRunsAndSumRoles(t *testing.T) {
	rs := []*results.Result{
		res("mesh", "both", 0.3, 1000, true, proxy(results.RoleServerProxy, 50, 20<<20), proxy(results.RoleServerProxy, 10, 4<<20)),
		res("none", "", 0.1, 1000, true),
		res("mesh", "both", 0.5, 1000, true, proxy(results.RoleServerProxy, 70, 20<<20), proxy(results.RoleServerProxy, 10, 4<<20)),
		res("mesh", "both", 9.0, 800, false, proxy(results.RoleServerProxy, 900, 20<<20)),
		res("none", "", 0.2, 1000, true),
	}
	rows := Rows(rs)
	require.Len(t, rows, 2)
	assert.Equal(t, "none", rows[0].Lane, "the baseline first")
	m := rows[1]
	assert.Equal(t, "mesh/both", m.Lane)
	assert.Equal(t, 2, m.N)
	assert.Equal(t, 1, m.Invalid)
	assert.InDelta(t, 0.4, m.Value(metric.P50()), 1e-9, "median of the valid runs only")
	assert.InDelta(t, 70, m.CPUUs[results.RoleServerProxy], 1e-9, "a role's components are summed: (60+80)/2")
	assert.InDelta(t, 24, m.RSSMB[results.RoleServerProxy], 1e-9)
	assert.InDelta(t, 12, m.PSSMB[results.RoleServerProxy], 1e-9)

	var b bytes.Buffer
	Print(&b, rs)
	out := b.String()
	assert.Contains(t, out, "2 (+1 invalid)")
	assert.Contains(t, out, "latency added over none")
	assert.Contains(t, out, "+0.250") // 0.4 - 0.15 at p50
}

// A group without a valid run shows its count and why, and no numbers and
// no overhead: invalid runs are not results.
func TestAllInvalidGroupShowsNoNumbers(t *testing.T) {
	bad := res("nginx", "", 0.01, 1000, false)
	bad.InvalidReasons = []string{"8000 errors in 8000 requests"}
	bad2 := res("nginx", "", 0.02, 1000, false)
	bad2.InvalidReasons = []string{"8000 errors in 8000 requests"}
	rs := []*results.Result{res("none", "", 0.1, 1000, true), bad, bad2}
	rows := Rows(rs)
	require.Len(t, rows, 2)
	assert.Equal(t, Row{Lane: "nginx", Case: "c", Invalid: 2, Reasons: []string{"8000 errors in 8000 requests"},
		Values: map[string]float64{}, CPUUs: map[string]float64{}, RSSMB: map[string]float64{}, PSSMB: map[string]float64{}}, rows[1])

	var b bytes.Buffer
	Print(&b, rs)
	out := b.String()
	assert.Contains(t, out, "0 (+2 invalid)")
	assert.Contains(t, out, "2 invalid: 8000 errors in 8000 requests")
	assert.NotContains(t, out, "0.010", "no percentile of an invalid run")
	assert.NotContains(t, out, "latency added over none")
}

// TestPrintHops: a service-graph run's per-edge hop latency shows per
// group; a run without it adds no section.
func TestPrintHops(t *testing.T) {
	m := res("mesh", "", 1, 100, true)
	m.GraphEdges = []results.GraphEdge{{From: "front", To: "reviews",
		Hop: &results.HopLatency{Requests: 10, MeanMs: 1.5, P50Ms: 1.25, P99Ms: 4, CalleeMeanMs: 1, HopMeanMs: 0.5}}}
	var b bytes.Buffer
	Print(&b, []*results.Result{res("none", "", 0.5, 100, true), m})
	assert.Contains(t, b.String(), "per-hop latency from the sidecars")
	assert.Regexp(t, `mesh\s+c\s+front -> reviews\s+1\.500 / 1\.250 / 4\.000\s+callee 1\.000\s+hop 0\.500`, b.String())
	b.Reset()
	Print(&b, []*results.Result{res("none", "", 0.5, 100, true)})
	assert.NotContains(t, b.String(), "per-hop")
}

// TestGatewayColumnOnlyWithAGateway: the ingress lanes add the gateway's
// CPU column; tables without one keep their columns.
func TestGatewayColumnOnlyWithAGateway(t *testing.T) {
	plain := []*results.Result{res("mesh", "both", 0.3, 1000, true, proxy(results.RoleServerProxy, 50, 20<<20))}
	var b bytes.Buffer
	Print(&b, plain)
	assert.NotContains(t, b.String(), "gateway")

	withGW := append(plain, res("mesh", "ingress", 0.4, 1000, true,
		proxy(results.RoleGateway, 42.5, 30<<20), proxy(results.RoleServerProxy, 51, 20<<20)))
	b.Reset()
	Print(&b, withGW)
	out := b.String()
	assert.Contains(t, out, "client-proxy  gateway  server-proxy")
	assert.Contains(t, out, "42.5")
	assert.Contains(t, out, "30.0 (15.0)", "the gateway's memory is a proxy's")
}

// Runs that recorded the wire's latency show it beside the client's; runs
// without it print no such section.
func TestWireLatencyBesideTheClients(t *testing.T) {
	wired := res("none", "", 0.2, 1000, true)
	wired.LatencyWire = &results.Percentiles{P50: 0.1, P90: 0.15, P99: 0.3}
	var b bytes.Buffer
	Print(&b, []*results.Result{wired, res("mesh", "both", 0.5, 1000, true)})
	out := b.String()
	assert.Contains(t, out, "latency on the loopback wire (p50 / p90 / p99), the client's view beside:")
	assert.Regexp(t, `none\s+c\s+0\.100 / 0\.150 / 0\.300 ms \(client 0\.200 / 0\.400 / 0\.600 ms\)`, out)
	assert.NotRegexp(t, `mesh/both\s+c\s+[0-9.]+ / .*\(client`, out, "a group without wire latency has no line")

	b.Reset()
	Print(&b, []*results.Result{res("none", "", 0.2, 1000, true)})
	assert.NotContains(t, b.String(), "loopback wire")
}

// kind and kube measure no PSS: the summary shows it as absent, not as 0.0.
func TestProxyRSSWithoutPSS(t *testing.T) {
	tests := []struct {
		name string
		row  Row
		want string
	}{
		{"with PSS", Row{RSSMB: map[string]float64{results.RoleClientProxy: 12.3}, PSSMB: map[string]float64{results.RoleClientProxy: 7.5}}, "12.3 (7.5)"},
		{"without PSS", Row{RSSMB: map[string]float64{results.RoleClientProxy: 12.3}, PSSMB: map[string]float64{}}, "12.3 (-)"},
		{"no proxy", Row{RSSMB: map[string]float64{}, PSSMB: map[string]float64{}}, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, proxyRSS(tt.row))
		})
	}
}
