package telemetrycost

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// run is one valid mesh/both (or none) run of the standard case in a
// variant, with the given proxy CPU per request and p90.
func run(lane, variant string, rep int, cpu, p90 float64) *results.Result {
	c := results.Case{Name: "qps1000-c16-1024B-http1", QPS: 1000, Connections: 16, PayloadBytes: 1024, Protocol: "http1"}
	if variant != "" {
		c.Telemetry, c.Name = variant, c.Name+"-tel-"+variant
	}
	r := &results.Result{Lane: lane, Case: c, Repetition: rep, Valid: true, Requests: 1000,
		Latency: results.Percentiles{P50: p90 / 2, P90: p90, P99: 2 * p90}}
	if lane == results.LaneMesh {
		r.Mode = results.ModeBoth
		r.Components = []results.Component{{Name: "client-proxy", Role: results.RoleClientProxy, CPUUsPerRequest: cpu},
			{Name: "server-proxy", Role: results.RoleServerProxy, CPUUsPerRequest: cpu}}
	}
	return r
}

// TestTableStatesEachVariantAgainstOff: the shifts come from the gate's
// Hodges-Lehmann and Mann-Whitney code; a variant that costs 20 µs more in
// every repetition shows an interval above 0 and a small p, one that costs
// the same an interval around 0; rows follow the catalog, off first, and
// the none lane is the floor.
func TestTableStatesEachVariantAgainstOff(t *testing.T) {
	var rs []*results.Result
	noise := []float64{0, 3, -2, 1, -1, 2}
	for rep, n := range noise {
		rs = append(rs,
			run(results.LaneMesh, results.TelemetryTracing100, rep+1, 120+n, 1.0+n/100),
			run(results.LaneMesh, results.TelemetryOff, rep+1, 100+n, 0.8+n/100),
			run(results.LaneMesh, results.TelemetryMetrics, rep+1, 100-n, 0.8-n/100),
			run(results.LaneNone, "", rep+1, 0, 0.3))
	}
	bad := run(results.LaneMesh, results.TelemetryMetrics, 9, 1e6, 100)
	bad.Valid = false
	rs = append(rs, bad)
	tabs := Build(rs)
	require.Len(t, tabs, 1)
	tab := tabs[0]
	assert.Equal(t, "mesh/both", tab.Lane)
	assert.Equal(t, "qps1000-c16-1024B-http1", tab.Case.Name)
	require.NotNil(t, tab.Floor)
	assert.Len(t, tab.Floor.Runs, 6)
	require.Len(t, tab.Rows, 3)
	assert.Equal(t, []string{"off", "metrics", "tracing-100"}, []string{tab.Rows[0].Variant, tab.Rows[1].Variant, tab.Rows[2].Variant})
	for _, c := range tab.Rows[0].Cells {
		assert.False(t, c.Compared, "the reference is not compared with itself")
	}
	m := tab.Rows[1]
	assert.Equal(t, 6, m.Runs)
	assert.Equal(t, 1, m.Invalid, "an invalid run is counted, never evidence")
	tr := tab.Rows[2]
	for i, col := range tab.Columns {
		assert.True(t, m.Cells[i].Compared, col.Name)
		assert.LessOrEqual(t, m.Cells[i].Added.Lo, 0.0, col.Name)
		assert.GreaterOrEqual(t, m.Cells[i].Added.Hi, 0.0, col.Name)
		assert.Equal(t, 0, m.Cells[i].Significant(), col.Name)
		assert.Positive(t, tr.Cells[i].Added.Lo, col.Name)
		assert.Equal(t, 1, tr.Cells[i].Significant(), col.Name)
		assert.Less(t, tr.Cells[i].P, 0.01, col.Name)
	}
	assert.InDelta(t, 20, tr.Cells[0].Added.Estimate, 1e-9, "client-proxy CPU")
	assert.Contains(t, tr.Cells[0].AddedText("µs"), "+20 [")
	assert.NotContains(t, tr.Cells[0].AddedText("µs"), "interval)", "six a side reach 95%")
}

// TestFewRunsNeverSignificant: one run a side gives a single difference
// as its "interval": shown with the little it covers, never bold; three a
// side fully apart reach p = 0.05 and a 90% interval.
func TestFewRunsNeverSignificant(t *testing.T) {
	for _, tc := range []struct {
		reps int
		sig  int
		text string
	}{{1, 0, "(0% interval)"}, {3, 1, "(90% interval)"}} {
		var rs []*results.Result
		for rep := 1; rep <= tc.reps; rep++ {
			rs = append(rs, run(results.LaneMesh, results.TelemetryOff, rep, 100+float64(rep), 1),
				run(results.LaneMesh, results.TelemetryLogsAll, rep, 150+float64(rep), 2))
		}
		c := Build(rs)[0].Rows[1].Cells[0]
		require.True(t, c.Compared)
		assert.Positive(t, c.Added.Lo)
		assert.Equal(t, tc.sig, c.Significant(), "%d a side", tc.reps)
		assert.Contains(t, c.AddedText("µs"), tc.text)
	}
}

// TestNoVariantsNoTable: results without telemetry variants make no table.
func TestNoVariantsNoTable(t *testing.T) {
	assert.Empty(t, Build([]*results.Result{run(results.LaneMesh, "", 1, 100, 1), run(results.LaneNone, "", 1, 0, 1)}))
}

// TestSpansSummed: a tracing variant's span checks are summed over its
// runs, invalid ones included, and a failed check fails the row, naming
// the repetition.
func TestSpansSummed(t *testing.T) {
	a := run(results.LaneMesh, results.TelemetryTracing1, 1, 100, 1)
	a.Spans = &results.SpanCheck{SamplingPercent: 1, Spans: 20, Traces: 10, Complete: 10, ExpectedTraces: 10, WithinBounds: true}
	b := run(results.LaneMesh, results.TelemetryTracing1, 2, 100, 1)
	b.Spans = &results.SpanCheck{SamplingPercent: 1, Spans: 22, Traces: 11, Complete: 10, BrokenLinks: 1, ExpectedTraces: 10, WithinBounds: true,
		Problems: []string{"1 broken parent/child links"}}
	b.Valid = false // a starved load generator voids the latency, not the span check
	tabs := Build([]*results.Result{a, b})
	require.Len(t, tabs, 1)
	s := tabs[0].Rows[0].Spans
	require.NotNil(t, s)
	assert.Equal(t, Spans{SamplingPercent: 1, Runs: 2, Spans: 42, Traces: 21, Complete: 20, Expected: 20, BrokenLinks: 1, WithinBounds: 2,
		Problems: []string{"rep 2: 1 broken parent/child links"}}, *s)
	assert.False(t, s.OK())
	assert.Equal(t, 1, tabs[0].Rows[0].Runs)
	assert.Equal(t, "client-proxy CPU", Title(tabs[0].Columns[0]))
	assert.Equal(t, "p90", Title(tabs[0].Columns[3]))
	assert.Contains(t, s.Text(), "FAIL: 21 traces")
}
