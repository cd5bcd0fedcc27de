package html

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports/digest"
)

func TestVerdict(t *testing.T) {
	d := digest.Build([]*results.Result{{Lane: "none", Valid: true}, {Lane: "none", Valid: false, InvalidReasons: []string{"x"}}})
	tests := []struct {
		name       string
		c          *results.Comparison
		word, want string
	}{
		{"no comparison", nil, "REPORT", "2 runs in 1 lanes, not gated. 1 runs invalid"},
		{"fail", &results.Comparison{Verdict: results.Fail, Base: "b", Candidate: "c", Rounds: 10, Alpha: 0.01, Metrics: []results.MetricComparison{
			{Gated: true, Verdict: results.Fail}, {Gated: true, Verdict: results.Pass}, {Gated: false, Verdict: results.ReportOnly}}},
			"FAIL", "c vs b: 2 gated metrics, 1 FAIL, 0 INCONCLUSIVE, 1 PASS"},
		{"empty verdict is not a pass", &results.Comparison{}, "INCONCLUSIVE", "0 gated metrics"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Verdict(tc.c, d)
			assert.Equal(t, tc.word, v.Word)
			assert.Contains(t, v.Detail, tc.want)
		})
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{{0, "0"}, {0.12345, "0.123"}, {1.2345, "1.23"}, {12.345, "12.3"}, {123.45, "123"}, {-0.5, "-0.500"}}
	for _, tc := range tests {
		assert.Equal(t, tc.want, ms(tc.v))
	}
	assert.Equal(t, "istio.io/v1.2/docs/x/ ; medium.com/y", Cite("https://istio.io/v1.2/docs/x/ ; http://medium.com/y"))
}

func TestRenderEscapesAndEmbeds(t *testing.T) {
	var b bytes.Buffer
	d := digest.Build([]*results.Result{{Lane: "none", Scenario: `<script>alert(1)</script>`, Valid: true}})
	require.NoError(t, Render(&b, Page{Title: "t", Digest: d, Verdict: Verdict(nil, d), Raw: []Link{{Text: "a.json", Href: "raw/a.json"}}}))
	assert.NotContains(t, b.String(), "<script>alert(1)")
	assert.Contains(t, b.String(), `&lt;script&gt;alert(1)&lt;/script&gt;`)
	assert.Contains(t, b.String(), `<a href="raw/a.json">a.json</a>`)
}

// The headline states the overhead in the aggregation's metrics, as prose.
func TestHeadlineStatesTheOverhead(t *testing.T) {
	c := results.Case{Name: "c", QPS: 100, Connections: 1, Protocol: "http1"}
	run := func(lane string, p50, p90, p99 float64) *results.Result {
		return &results.Result{Lane: lane, Case: c, Valid: true, Requests: 100,
			Latency: results.Percentiles{P50: p50, P90: p90, P99: p99}}
	}
	d := digest.Build([]*results.Result{run("none", 1, 2, 3), run("mesh/both", 1.5, 2.25, 2)})
	v := newView(Page{Digest: d, Verdict: Verdict(nil, d)})
	require.Len(t, v.Headline, 1)
	assert.Contains(t, v.Headline[0], "mesh/both adds 0.500 ms at p50, 0.250 ms at p90 and -1.00 ms at p99 over no mesh")
	assert.Contains(t, v.Headline[0], "A negative difference is within this run's run-to-run noise")
}

func TestEnumerate(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a and b"}, {[]string{"a", "b", "c"}, "a, b and c"}}
	for _, tc := range tests {
		assert.Equal(t, tc.want, enumerate(tc.in))
	}
}

// The latency table adds the wire's columns only where runs recorded them.
func TestLatencyTableShowsWireWhenMeasured(t *testing.T) {
	r := &results.Result{Lane: "none", Case: results.Case{Name: "c", QPS: 100, Connections: 1, Protocol: "http1"}, Valid: true, Requests: 10,
		Latency: results.Percentiles{P50: 0.2, P90: 0.4, P99: 0.6}, LatencyWire: &results.Percentiles{P50: 0.1, P90: 0.15, P99: 0.3}}
	d := digest.Build([]*results.Result{r})
	v := newView(Page{Digest: d, Verdict: Verdict(nil, d)})
	assert.True(t, v.HasWire)
	assert.Subset(t, v.LatencyCols, []string{"wire p50", "wire p90", "wire p99"})
	require.Len(t, v.LatencyRows, 1)
	assert.Equal(t, []string{"0.100", "0.150", "0.300"}, v.LatencyRows[0].Sched)

	r.LatencyWire = nil
	d = digest.Build([]*results.Result{r})
	v = newView(Page{Digest: d, Verdict: Verdict(nil, d)})
	assert.False(t, v.HasWire)
	assert.NotContains(t, v.LatencyCols, "wire p50")
}

// The cost table shows every memory figure a run records: steady RSS, peak
// RSS (the lifetime high-water mark) beside the measured window's highest
// sample, PSS and anonymous RSS; the proxy binary's size is in the features.
func TestCostTableShowsEveryMemoryFigure(t *testing.T) {
	r := &results.Result{Lane: "mesh/both", Case: results.Case{Name: "c", QPS: 100, Connections: 1, Protocol: "http1"}, Valid: true, Requests: 10,
		Mesh: &results.MeshFeatures{Proxy: "meshproxy", Extra: map[string]string{results.ExtraProxyBinaryBytes: "37942818"}},
		Components: []results.Component{{Name: "client-proxy", Role: results.RoleClientProxy, RSSBytesSteady: 14 << 20, RSSBytesPeak: 25 << 20,
			RSSBytesWindowPeak: 16 << 20, PSSBytesSteady: 11 << 20, RSSAnonBytesSteady: 7 << 20}}}
	d := digest.Build([]*results.Result{r})
	var b bytes.Buffer
	require.NoError(t, Render(&b, Page{Title: "t", Digest: d, Verdict: Verdict(nil, d)}))
	html := b.String()
	for _, want := range []string{"<th>RSS peak (MiB)</th><th>RSS window peak (MiB)</th><th>PSS steady (MiB)</th><th>anon RSS steady (MiB)</th>",
		"<td>14.0</td><td>25.0</td><td>16.0</td><td>11.0</td><td>7.0</td>", "37942818"} {
		assert.Contains(t, html, want)
	}
}

// The cost table shows every component's kernel µs per request and its
// share beside its CPU, and n/a (the reason on hover) where the source
// cannot split.
func TestCostTableShowsKernelShare(t *testing.T) {
	sys := 56.0
	r := &results.Result{Lane: "mesh/both", Case: results.Case{Name: "c", QPS: 100, Connections: 1, Protocol: "http1"}, Valid: true, Requests: 10,
		Components: []results.Component{{Name: "client-proxy", Role: results.RoleClientProxy, CPUUsPerRequest: 80, CPUSystemUsPerRequest: &sys},
			{Name: "app", Role: results.RoleApp, CPUUsPerRequest: 50, CPUSplitAbsent: "the kubelet says no"},
			{Name: "loadgen", Role: results.RoleLoadgen, CPUUsPerRequest: 40}}} // a result older than the split
	d := digest.Build([]*results.Result{r})
	var b bytes.Buffer
	require.NoError(t, Render(&b, Page{Title: "t", Digest: d, Verdict: Verdict(nil, d)}))
	html := b.String()
	for _, want := range []string{"<th>µs CPU / request</th><th>kernel µs / request (share)</th>",
		"<td>80.0</td><td>56.0 (70%)</td>", `<td><span title="the kubelet says no">n/a</span></td>`, "<td>40.0</td><td>–</td>"} {
		assert.Contains(t, html, want)
	}
}
