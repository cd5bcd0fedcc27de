package markdown

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports/digest"
	"github.com/meshbench/meshbench/reports/published"
)

func TestRenderOrdersAndCapsComparisonRows(t *testing.T) {
	c := &results.Comparison{Base: "base", Candidate: "cand", Verdict: results.Fail}
	for i := range MaxRows + 5 {
		c.Metrics = append(c.Metrics, results.MetricComparison{Group: "g", Metric: fmt.Sprintf("m%02d", i), Unit: "ms",
			Gated: true, Verdict: results.Pass, BaseMedian: 1, CandMedian: 1})
	}
	c.Metrics = append(c.Metrics,
		results.MetricComparison{Group: "g", Metric: "slow", Unit: "B", Gated: true, Verdict: results.Fail, BaseMedian: 2 << 20, CandMedian: 3 << 20, Threshold: 0.05},
		results.MetricComparison{Group: "g", Metric: "tail", Unit: "ms", Verdict: results.ReportOnly})
	var b strings.Builder
	require.NoError(t, Render(&b, Input{Title: "t", Verdict: c.Verdict, Generated: time.Unix(0, 0), Digest: digest.Build(nil), Comparison: c}))
	md := b.String()
	assert.True(t, strings.HasPrefix(md, "## ❌ FAIL: t"))
	slow := strings.Index(md, "| g | slow | 2.00 MiB | 3.00 MiB |")
	require.Positive(t, slow, "the failing row, in MiB")
	assert.Less(t, slow, strings.Index(md, "| g | m00 |"), "failing rows first")
	assert.Contains(t, md, "6 more rows in report.html")
	assert.Contains(t, md, "1 report-only metrics (not gated)")
}

// The comparison's notes reach the summary: a group without a valid run is
// named there, as in the terminal table and the HTML.
func TestRenderShowsComparisonNotes(t *testing.T) {
	c := &results.Comparison{Base: "base", Candidate: "cand", Verdict: results.Pass,
		Metrics: []results.MetricComparison{{Group: "g", Metric: "m", Unit: "ms", Gated: true, Verdict: results.Pass}},
		Notes:   []string{"group nginx c has no valid run to compare (base 2 invalid: 8000 errors in 8000 requests)"}}
	var b strings.Builder
	require.NoError(t, Render(&b, Input{Title: "t", Verdict: c.Verdict, Generated: time.Unix(0, 0), Digest: digest.Build(nil), Comparison: c}))
	assert.Contains(t, b.String(), "\n- group nginx c has no valid run to compare (base 2 invalid: 8000 errors in 8000 requests)\n")
}

// TestRenderShowsHops: per-edge hop latency from the sidecars reaches the
// summary for the groups that recorded it.
func TestRenderShowsHops(t *testing.T) {
	r := &results.Result{Lane: "mesh", Case: results.Case{Name: "c", QPS: 100}, Valid: true, Requests: 10,
		GraphEdges: []results.GraphEdge{{From: "front", To: "reviews",
			Hop: &results.HopLatency{Requests: 10, MeanMs: 1.5, P50Ms: 1.25, P99Ms: 4, CalleeMeanMs: 1, HopMeanMs: 0.5}}}}
	var b strings.Builder
	require.NoError(t, Render(&b, Input{Title: "t", Generated: time.Unix(0, 0), Digest: digest.Build([]*results.Result{r})}))
	assert.Contains(t, b.String(), "Per-hop latency from the sidecars")
	assert.Regexp(t, `\| mesh \| front → reviews \| 1\.5\d* \| 1\.25\d* \| 4(\.0+)? \| 1(\.0+)? \| 0\.5\d* \|`, b.String())
	b.Reset()
	r.GraphEdges[0].Hop = nil
	require.NoError(t, Render(&b, Input{Title: "t", Generated: time.Unix(0, 0), Digest: digest.Build([]*results.Result{r})}))
	assert.NotContains(t, b.String(), "Per-hop")
}

// TestRenderSetsEmojivotoBesidePublished: the summary of an emojivoto run
// has its rates beside the published figures for emojivoto.
func TestRenderSetsEmojivotoBesidePublished(t *testing.T) {
	set, err := published.Default()
	require.NoError(t, err)
	var rs []*results.Result
	for _, lane := range []string{"none", "mesh"} {
		r := &results.Result{Scenario: "emojivoto", Lane: lane, Case: results.Case{QPS: 20, Connections: 8}, Valid: true, Requests: 10,
			Latency: results.Percentiles{P50: 1, Max: 9}}
		if lane == "mesh" {
			r.Mode, r.Latency = "both", results.Percentiles{P50: 1.25, Max: 12}
		}
		rs = append(rs, r)
	}
	var b strings.Builder
	require.NoError(t, Render(&b, Input{Title: "t", Generated: time.Unix(0, 0), Digest: digest.Build(rs), Published: set}))
	md := b.String()
	assert.Contains(t, md, "### emojivoto beside published figures for it")
	assert.Regexp(t, `\| 20 \| 1(\.0+)? \| 1\.25\d* \| 0\.25\d* \| 3(\.0+)? \| .*linkerd latency 14 ms at p50 \(linkerd-blog-2021-11\)`, md)
}

// summary.md shows the wire's latency beside the client's where runs
// recorded it, and no such section where none did.
func TestRenderShowsWireLatency(t *testing.T) {
	r := &results.Result{Lane: "none", Case: results.Case{Name: "c", QPS: 100, Connections: 1, Protocol: "http1"}, Valid: true, Requests: 10,
		Latency: results.Percentiles{P50: 0.2, P90: 0.4, P99: 0.6}, LatencyWire: &results.Percentiles{P50: 0.1, P90: 0.15, P99: 0.3}}
	var b strings.Builder
	require.NoError(t, Render(&b, Input{Title: "t", Generated: time.Unix(0, 0), Digest: digest.Build([]*results.Result{r})}))
	assert.Contains(t, b.String(), "Latency on the loopback wire beside the client's")
	assert.Contains(t, b.String(), "| wire p50 | wire p90 | wire p99 | p50 | p90 | p99 |")
	assert.Contains(t, b.String(), "| none | 0.100 | 0.150 | 0.300 | 0.200 | 0.400 | 0.600 |")

	r.LatencyWire = nil
	b.Reset()
	require.NoError(t, Render(&b, Input{Title: "t", Generated: time.Unix(0, 0), Digest: digest.Build([]*results.Result{r})}))
	assert.NotContains(t, b.String(), "loopback wire")
}

// The overhead table shows each proxy's kernel share beside its CPU, and
// n/a where the source cannot split (kube's kubelet).
func TestRenderShowsProxyKernelShare(t *testing.T) {
	c := results.Case{Name: "c", QPS: 1000, Connections: 16, PayloadBytes: 1024, Protocol: "http1"}
	sys := func(v float64) *float64 { return &v }
	run := func(lane, mode string, comps ...results.Component) *results.Result {
		return &results.Result{Lane: lane, Mode: mode, Case: c, Valid: true, Requests: 1000, AchievedQPS: 1000, Components: comps}
	}
	rs := []*results.Result{
		run("none", ""),
		run("mesh", "both", results.Component{Role: results.RoleClientProxy, CPUUsPerRequest: 80, CPUSystemUsPerRequest: sys(56)},
			results.Component{Role: results.RoleServerProxy, CPUUsPerRequest: 70, CPUSystemUsPerRequest: sys(42)}),
		run("istio", "both", results.Component{Role: results.RoleClientProxy, CPUUsPerRequest: 300, CPUSplitAbsent: "kubelet"}),
	}
	var b strings.Builder
	require.NoError(t, Render(&b, Input{Title: "t", Generated: time.Unix(0, 0), Digest: digest.Build(rs)}))
	assert.Contains(t, b.String(), "| proxy kernel share |")
	assert.Contains(t, b.String(), "| client-proxy 70%, server-proxy 60% |")
	assert.Contains(t, b.String(), "| client-proxy n/a |")
}
