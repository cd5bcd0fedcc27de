package published

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports/digest"
)

// EmojivotoResults are none and mesh runs of a scenario named scenario at
// Linkerd's three rates: none p50 1 ms, mesh p50 1.5 ms, max 10 vs 14 ms.
func emojivotoResults(scenario string) []*results.Result {
	var rs []*results.Result
	for _, qps := range []float64{20, 200, 2000} {
		for _, lane := range []string{"none", "mesh"} {
			r := &results.Result{Scenario: scenario, ScenarioKind: "app", Lane: lane, Case: results.Case{QPS: qps, Connections: 8, Protocol: "http1"},
				Valid: true, Requests: 100, Latency: results.Percentiles{P50: 1, P90: 2, P99: 3, P999: 4, Max: 10}}
			if lane == "mesh" {
				r.Mode = "both"
				r.Latency = results.Percentiles{P50: 1.5, P90: 2.5, P99: 3.5, P999: 4.5, Max: 14}
			}
			rs = append(rs, r)
		}
	}
	return rs
}

func TestAppComparison(t *testing.T) {
	set, err := Default()
	require.NoError(t, err)
	app, rows := AppComparison(digest.Build(emojivotoResults("emojivoto")), set)
	assert.Equal(t, "emojivoto", app)
	require.Len(t, rows, 3)
	labels := func(r AppRow) []string {
		var out []string
		for _, f := range r.Theirs {
			out = append(out, AppFigureLabel(f))
		}
		return out
	}
	for _, r := range rows {
		assert.True(t, r.Have)
		assert.Equal(t, "mesh/both", r.Lane)
		assert.InDelta(t, 0.5, r.AddedP50, 1e-9)
		assert.InDelta(t, 4, r.AddedMax, 1e-9)
	}
	assert.Equal(t, 20.0, rows[0].QPS)
	assert.Contains(t, labels(rows[0]), "linkerd latency 14 ms at p50 (linkerd-blog-2021-11)")
	assert.Contains(t, labels(rows[0]), "istio adds 20 ms at p50 (linkerd-blog-2021-11, derived)", "26 - 6")
	assert.Contains(t, labels(rows[2]), "linkerd adds 6 ms at p50 (linkerd-blog-2021-11)")
	assert.Contains(t, labels(rows[2]), "istio adds 15 ms at p50 (linkerd-blog-2021-05)")
	assert.Contains(t, labels(rows[2]), "istio adds 350 ms at max (linkerd-blog-2021-11)")
	for _, l := range labels(rows[1]) {
		assert.NotContains(t, l, "2000", "figures of other rates stay in their rows")
	}

	app, rows = AppComparison(digest.Build(emojivotoResults("bookinfo")), set)
	assert.Empty(t, app, "no source benchmarked bookinfo")
	assert.Empty(t, rows)
	_, rows = AppComparison(digest.Build(append(emojivotoResults("emojivoto"), emojivotoResults("other")...)), set)
	assert.Empty(t, rows, "a report of several scenarios mixes their cases")
}
