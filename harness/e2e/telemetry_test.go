package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/telemetrycost"
)

// TestTelemetryScenario runs the shipped scenarios/synthetic/telemetry.yaml
// with its `test` profile, the way a user does (meshbench run -f), with one
// variant forced to cost more (--variant-proxy-arg logs-sampled=
// --inject-spin=300us on that variant's proxies only), and checks: every
// variant's run in every repetition, one table row each, summary.md and
// report.html carrying the table, the telemetry-cost plot drawn; every
// tracing run's spans within their binomial bounds with no broken
// parent/child link; and the statistics wired: the forced variant's added
// CPU per request has an interval above 0 for both proxies, and the
// variants' CPU and latency come out of the same runs the table reads.
func TestTelemetryScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	out := t.TempDir()
	meshbenchRun(t, "run", "-f", filepath.Join(root, "scenarios/synthetic/telemetry.yaml"),
		"--profile", "test", "-o", out, "--variant-proxy-arg", "logs-sampled=--inject-spin=300us")

	rs, err := results.ReadAll(out)
	require.NoError(t, err)
	variants := results.TelemetryVariantNames()
	require.Len(t, rs, 3*(len(variants)+1), "every variant and the floor, 3 repetitions")
	seen := map[string]int{}
	for _, r := range rs {
		name := r.LaneLabel() + " " + r.Case.Telemetry
		seen[name]++
		assert.Nil(t, r.Failure, name)
		assert.Zero(t, r.Errors, "%s: %v", name, r.ErrorsByStatus)
		v, _ := results.LookupTelemetryVariant(r.Case.Telemetry)
		if r.Lane == results.LaneNone {
			assert.Empty(t, r.Case.Telemetry, "the floor runs without a variant")
		}
		if !v.Tracing {
			assert.Nil(t, r.Spans, name)
			continue
		}
		if assert.NotNil(t, r.Spans, "%s: the harness's receiver checked the spans", name) {
			assert.Empty(t, r.Spans.Problems, name)
			assert.True(t, r.Spans.WithinBounds, "%s: %+v", name, *r.Spans)
			assert.Zero(t, r.Spans.BrokenLinks, name)
			if v.TracingPercent == 100 {
				assert.Equal(t, r.Spans.Traces, r.Spans.Complete, "%s: every trace client+server", name)
				assert.Equal(t, 2*r.Spans.Traces, r.Spans.Spans, name)
				assert.Positive(t, r.Spans.Traces, name)
			}
			if v.TracingPercent == 0 {
				assert.Zero(t, r.Spans.Spans, name)
			}
		}
	}
	for _, v := range variants {
		assert.Equal(t, 3, seen["mesh/both "+v], v)
	}
	assert.Equal(t, 3, seen["none "], "the floor")

	tables := telemetrycost.Build(rs)
	require.Len(t, tables, 1)
	tab := tables[0]
	require.Len(t, tab.Rows, len(variants))
	for i, row := range tab.Rows {
		assert.Equal(t, variants[i], row.Variant)
	}
	forced := tab.Rows[2]
	require.Equal(t, results.TelemetryLogsSampled, forced.Variant)
	for i, m := range tab.Columns {
		if m.Name == metric.CPU(results.RoleClientProxy).Name || m.Name == metric.CPU(results.RoleServerProxy).Name {
			c := forced.Cells[i]
			if !c.Compared {
				// Only valid runs are compared: a loaded machine can void
				// every run of one side (a starved load generator), and then
				// there is nothing to compare. Anything else is a failure.
				require.True(t, forced.Runs == 0 || tab.Rows[0].Runs == 0,
					"%s not compared although both sides have valid runs (off %d, forced %d)", m.Name, tab.Rows[0].Runs, forced.Runs)
				t.Logf("%s not compared: no valid run of off (%d invalid) or of the forced variant (%d invalid)", m.Name, tab.Rows[0].Invalid, forced.Invalid)
				continue
			}
			assert.Positive(t, c.Added.Lo, "%s: a 300 µs spin per request shows: %+v", m.Name, c.Added)
			assert.InDelta(t, 300, c.Added.Estimate, 250, m.Name)
		}
	}
	assert.NotNil(t, tab.Floor, "the none lane's floor")

	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "### What telemetry costs: mesh/both")
	for _, v := range variants {
		assert.Contains(t, string(md), "| `"+v+"` |", v)
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "What telemetry costs: mesh/both")
	png, err := os.Stat(filepath.Join(out, "telemetry-cost.png"))
	require.NoError(t, err, "the plot")
	assert.Greater(t, png.Size(), int64(5000))
}
