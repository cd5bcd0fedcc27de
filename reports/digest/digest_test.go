package digest_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports/digest"
)

func kase(qps float64, conns int) results.Case {
	return results.Case{Name: "c", QPS: qps, Connections: conns, PayloadBytes: 1024, Protocol: "http1"}
}

// run is a result with a p50 and a proxy, enough for the digest.
func run(lane, mode string, c results.Case, p50, vcpu float64, valid bool) *results.Result {
	r := &results.Result{Schema: results.Schema, Lane: lane, Mode: mode, Case: c, Valid: valid, Requests: 100,
		Latency:    results.Percentiles{P50: p50, P90: 2 * p50, P99: 3 * p50},
		Histogram:  results.Histogram{Buckets: []results.Bucket{{Start: 0, End: p50, Count: 5}, {Start: p50, End: 2 * p50, Count: 5}}},
		Components: []results.Component{{Role: results.RoleApp, VCPUPer1000RPS: 0.1, RSSBytesSteady: 20 << 20}}}
	if lane != "none" {
		r.Components = append(r.Components, results.Component{Role: results.RoleClientProxy, VCPUPer1000RPS: vcpu, RSSBytesSteady: 30 << 20})
	}
	return r
}

func TestBuildMediansExcludeInvalidRuns(t *testing.T) {
	c := kase(1000, 16)
	d := digest.Build([]*results.Result{
		run("mesh", "both", c, 1, 0.2, true),
		run("mesh", "both", c, 3, 0.4, true),
		run("mesh", "both", c, 100, 9, false), // would dominate if counted
		run("none", "", c, 0.5, 0, true),
	})
	assert.Equal(t, []string{"none", "mesh/both"}, d.Lanes, "baseline first")
	g := d.Group("mesh/both", c)
	require.NotNil(t, g)
	assert.Len(t, g.Runs, 2)
	assert.Equal(t, 1, g.Invalid)
	assert.InDelta(t, 2.0, g.Value(metric.P50()), 1e-9, "median of 1 and 3")
	assert.InDelta(t, 0.3, g.Component(results.RoleClientProxy).VCPUPer1000RPS, 1e-9)
	assert.Equal(t, []results.Bucket{{Start: 0, End: 1, Count: 5}, {Start: 1, End: 2, Count: 5}, {Start: 0, End: 3, Count: 5}, {Start: 3, End: 6, Count: 5}}, g.Histogram, "merged, by upper bound")
	require.Len(t, d.Invalid, 1)

	ov := d.Overheads(c)
	require.Len(t, ov, 1)
	assert.Equal(t, "mesh/both", ov[0].Lane)
	assert.InDelta(t, 1.5, ov[0].AddedTo(metric.P50()), 1e-9)
	assert.InDelta(t, 4.5, ov[0].AddedTo(metric.P99()), 1e-9)
	require.Len(t, ov[0].Proxies, 1)
	assert.InDelta(t, 30, ov[0].Proxies[0].RSSSteadyMiB, 1e-9)
}

func TestSweep(t *testing.T) {
	var rs []*results.Result
	for _, conns := range []int{2, 8, 64} {
		rs = append(rs, run("none", "", kase(1000, conns), 1, 0, true), run("mesh", "both", kase(1000, conns), 2, 0.2, true))
	}
	// A QPS sweep at 16 connections, with a max-QPS case that has no QPS coordinate.
	for _, qps := range []float64{100, 400, -1} {
		rs = append(rs, run("none", "", kase(qps, 16), 1, 0, true))
	}
	d := digest.Build(rs)

	tests := []struct {
		dim       digest.Dimension
		wantX     []float64
		wantFixed string
		lanes     int
	}{
		{digest.Connections, []float64{2, 8, 64}, "1000 qps · 1024 B payload · http1 · mTLS off", 2},
		{digest.QPS, []float64{100, 400}, "16 connections · 1024 B payload · http1 · mTLS off", 1},
	}
	for _, tc := range tests {
		t.Run(string(tc.dim), func(t *testing.T) {
			s := d.Sweep(tc.dim)
			require.NotNil(t, s)
			assert.Equal(t, tc.wantX, s.X)
			assert.Equal(t, tc.wantFixed, s.Fixed)
			assert.Len(t, s.Series, tc.lanes)
		})
	}
	assert.Nil(t, digest.Build(rs[:2]).Sweep(digest.Connections), "one point is no sweep")
}

func TestReferenceCase(t *testing.T) {
	istio := kase(1000, 16)
	other := kase(400, 4)
	tests := []struct {
		name string
		rs   []*results.Result
		want results.Case
	}{
		{"Istio's conditions win", []*results.Result{run("none", "", other, 1, 0, true), run("mesh", "both", other, 1, 0.1, true),
			run("none", "", istio, 1, 0, true), run("mesh", "both", istio, 1, 0.1, true)}, istio},
		{"a case where the mesh ran beside none beats Istio's conditions without it", []*results.Result{
			run("none", "", other, 1, 0, true), run("mesh", "both", other, 1, 0.1, true),
			run("none", "", istio, 1, 0, true), run("mesh", "both", istio, 1, 0.1, false)}, other},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := digest.Build(tc.rs).ReferenceCase()
			require.True(t, ok)
			assert.Equal(t, tc.want, got)
		})
	}
	_, ok := digest.Build(nil).ReferenceCase()
	assert.False(t, ok)
}

func TestMedianAndDisplay(t *testing.T) {
	// The one median (harness/gate/stats): none for no sample; a group
	// without a valid run has no numbers at all.
	assert.True(t, math.IsNaN(stats.Median(nil)))
	assert.Equal(t, 2.0, stats.Median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, stats.Median([]float64{4, 1, 3, 2}))
	v, u := digest.Display(3<<20, "B")
	assert.Equal(t, 3.0, v)
	assert.Equal(t, "MiB", u)
	v, u = digest.Display(1.5, "ms")
	assert.Equal(t, 1.5, v)
	assert.Equal(t, "ms", u)
}

func TestBuildsAreNeverPooled(t *testing.T) {
	c := kase(1000, 16)
	var rs []*results.Result
	for _, b := range []struct {
		build string
		p50   float64
	}{{"candidate", 2}, {"base", 1}} {
		for _, r := range []*results.Result{run("none", "", c, 0.5, 0, true), run("mesh", "both", c, b.p50, 0.2, true)} {
			r.Labels = map[string]string{"build": b.build}
			rs = append(rs, r)
		}
	}
	d := digest.Build(rs)
	assert.Equal(t, []string{"none @base", "none @candidate", "mesh/both @base", "mesh/both @candidate"}, d.Lanes)
	ov := d.Overheads(c)
	require.Len(t, ov, 2)
	assert.Equal(t, "mesh/both @base", ov[0].Lane)
	assert.InDelta(t, 0.5, ov[0].AddedTo(metric.P50()), 1e-9, "base mesh minus base none")
	assert.InDelta(t, 1.5, ov[1].AddedTo(metric.P50()), 1e-9, "candidate mesh minus candidate none")
	lane, variant := aggregate.SplitLane("mesh/both @candidate")
	assert.Equal(t, "mesh/both", lane)
	assert.Equal(t, "candidate", variant)
	assert.True(t, aggregate.IsMeshLane("mesh @base"))

	// Two revisions without build labels are told apart by revision.
	for i, r := range rs {
		r.Labels = nil
		r.Environment.GitRevision = []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}[i/2]
	}
	assert.Contains(t, digest.Build(rs).Lanes, "mesh/both @aaaaaaaa")
}
