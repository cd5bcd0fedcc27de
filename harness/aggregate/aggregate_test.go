package aggregate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

var kase = results.Case{Name: "c", QPS: 1000, Connections: 16, PayloadBytes: 1024, Protocol: "http1"}

func run(lane, mode string, p50 float64, valid bool, comps ...results.Component) *results.Result {
	return &results.Result{Lane: lane, Mode: mode, Case: kase, Valid: valid, AchievedQPS: 1000, Requests: 100,
		Latency: results.Percentiles{P50: p50, P90: 2 * p50, P99: 3 * p50}, Components: comps}
}

func sidecar(us float64, rss int64) results.Component {
	return results.Component{Role: results.RoleServerProxy, CPUUsPerRequest: us, RSSBytesSteady: rss, RSSBytesPeak: 2 * rss, PSSBytesSteady: rss / 2}
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name         string
		runs         []*results.Result
		lane         string
		wantN, wantI int
		wantP50      float64
		wantCPU      float64 // server-proxy, µs per request
		wantOverhead bool
	}{
		{name: "medians over valid runs only", lane: "mesh/both",
			runs: []*results.Result{run("mesh", "both", 0.3, true, sidecar(50, 10<<20)), run("mesh", "both", 0.5, true, sidecar(70, 10<<20)),
				run("mesh", "both", 9, false, sidecar(900, 10<<20))},
			wantN: 2, wantI: 1, wantP50: 0.4, wantCPU: 60, wantOverhead: true},
		{name: "a service graph's sidecars are summed per run", lane: "mesh/both",
			runs:  []*results.Result{run("mesh", "both", 0.3, true, sidecar(50, 10<<20), sidecar(10, 4<<20)), run("mesh", "both", 0.5, true, sidecar(70, 10<<20), sidecar(10, 4<<20))},
			wantN: 2, wantP50: 0.4, wantCPU: 70, wantOverhead: true},
		{name: "no valid run: no numbers, no overhead", lane: "nginx",
			runs:  []*results.Result{run("nginx", "", 0.01, false, sidecar(5, 1)), run("nginx", "", 0.01, false, sidecar(5, 1))},
			wantI: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := append([]*results.Result{run("none", "", 0.1, true), run("none", "", 0.2, true)}, tt.runs...)
			s := aggregate.Build(rs)
			require.Len(t, s.Groups, 2)
			assert.Equal(t, "none", s.Groups[0].Lane, "the baseline first")
			g := s.Group(tt.lane, kase)
			require.NotNil(t, g)
			assert.Len(t, g.Runs, tt.wantN)
			assert.Equal(t, tt.wantI, g.Invalid)
			assert.Equal(t, tt.wantN > 0, g.Valid())
			assert.InDelta(t, tt.wantP50, g.Value(metric.P50()), 1e-9)
			if tt.wantN == 0 {
				assert.Empty(t, g.Components)
				assert.Empty(t, s.Overheads(kase))
				return
			}
			assert.InDelta(t, tt.wantCPU, g.Component(results.RoleServerProxy).CPUUsPerRequest, 1e-9)
			ov := s.Overheads(kase)
			require.Len(t, ov, 1)
			assert.InDelta(t, tt.wantP50-0.15, ov[0].AddedTo(metric.P50()), 1e-9)
		})
	}
}

// Runs of two builds are never pooled, and each lane's overhead is over the
// none lane of its own build.
func TestBuildsAreSeparate(t *testing.T) {
	var rs []*results.Result
	for _, b := range []struct {
		build   string
		none, m float64
	}{{"base", 0.1, 0.3}, {"candidate", 0.2, 0.6}} {
		for _, r := range []*results.Result{run("none", "", b.none, true), run("mesh", "both", b.m, true)} {
			r.Labels = map[string]string{"build": b.build}
			rs = append(rs, r)
		}
	}
	s := aggregate.Build(rs)
	assert.Equal(t, []string{"none @base", "none @candidate", "mesh/both @base", "mesh/both @candidate"}, s.Lanes)
	ov := s.Overheads(kase)
	require.Len(t, ov, 2)
	assert.InDelta(t, 0.2, ov[0].AddedTo(metric.P50()), 1e-9)
	assert.InDelta(t, 0.4, ov[1].AddedTo(metric.P50()), 1e-9)
}

func TestGroupHops(t *testing.T) {
	run := func(mean, callee float64) *results.Result {
		return &results.Result{Lane: "mesh", Valid: true, GraphEdges: []results.GraphEdge{
			{From: "a", To: "b", Hop: &results.HopLatency{Requests: 10, MeanMs: mean, P50Ms: mean, P99Ms: 2 * mean, CalleeMeanMs: callee, HopMeanMs: mean - callee}},
			{From: "b", To: "c"}, // no hop recorded: not listed
		}}
	}
	set := aggregate.Build([]*results.Result{run(1, 0.5), run(3, 1), run(2, 0.25)})
	require.Len(t, set.Groups, 1)
	hops := set.Groups[0].Hops()
	require.Len(t, hops, 1)
	assert.Equal(t, aggregate.HopStat{From: "a", To: "b", Runs: 3, MeanMs: 2, P50Ms: 2, P99Ms: 4, CalleeMeanMs: 0.5, HopMeanMs: 1.75}, hops[0])
	assert.Empty(t, aggregate.Build([]*results.Result{{Lane: "none", Valid: true}}).Groups[0].Hops())
}
