package plots

import (
	"context"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports/digest"
)

func TestFitCostRecoversTheModel(t *testing.T) {
	// A proxy with 0.04 vCPU idle and 0.09 vCPU per 1000 rps marginal.
	var qps, perK []float64
	for _, q := range []float64{100, 250, 500, 1000, 2000} {
		total := 0.04 + 0.09*q/1000
		qps, perK = append(qps, q), append(perK, total/q*1000)
	}
	f, ok := FitCost(qps, perK)
	require.True(t, ok)
	assert.InDelta(t, 0.04, f.Idle, 1e-9)
	assert.InDelta(t, 0.09, f.PerKRPS, 1e-9)
	assert.InDelta(t, 0.09+0.04*1000/400, f.At(400), 1e-9)

	_, ok = FitCost([]float64{500, 500}, []float64{0.1, 0.2})
	assert.False(t, ok, "x must vary")
	_, ok = FitLine([]float64{1}, []float64{1})
	assert.False(t, ok)
}

func TestAllOmitsEveryPlotWithoutData(t *testing.T) {
	figs, omitted, err := All(context.Background(), Data{})
	require.NoError(t, err)
	assert.Empty(t, figs, "nothing is drawn empty")
	require.Len(t, omitted, len(makers))
	for _, o := range omitted {
		assert.NotEmpty(t, o.Reason, o.Name)
	}
}

func TestAllStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := All(ctx, Data{})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestReadableTicksPrintTheirValues(t *testing.T) {
	tests := []struct{ min, max float64 }{{0.99, 1.12}, {125, 150}, {0, 40}, {0.0001, 0.0009}, {0, 5.3}}
	for _, tc := range tests {
		seen := map[string]bool{}
		for _, tk := range (readableTicks{}).Ticks(tc.min, tc.max) {
			if tk.Label == "" {
				continue
			}
			assert.False(t, seen[tk.Label], "label %q twice in [%g, %g]", tk.Label, tc.min, tc.max)
			seen[tk.Label] = true
			v, err := strconv.ParseFloat(tk.Label, 64)
			require.NoError(t, err)
			assert.InDelta(t, tk.Value, v, 1e-9, "tick %g labelled %q", tk.Value, tk.Label)
		}
		assert.NotEmpty(t, seen)
	}
}

func TestAllSurvivesDegenerateValues(t *testing.T) {
	nan := math.NaN()
	var rs []*results.Result
	for _, conns := range []int{2, 8} {
		for _, lane := range []string{"none", "mesh"} {
			rs = append(rs, &results.Result{Lane: lane, Mode: map[string]string{"mesh": "both"}[lane], Valid: true,
				Case:       results.Case{Name: "c", QPS: 1000, Connections: conns, PayloadBytes: 1, Protocol: "http1"},
				Latency:    results.Percentiles{P50: nan, P90: math.Inf(1), P99: 1, P999: 0},
				Histogram:  results.Histogram{Buckets: []results.Bucket{{Start: 0, End: 0, Count: 3}}},
				Components: []results.Component{{Role: results.RoleClientProxy, VCPUPer1000RPS: nan}}})
		}
	}
	cmp := &results.Comparison{Verdict: results.Pass, Metrics: []results.MetricComparison{{Group: "g", Metric: "m", BaseMedian: 1, BaseCILo: nan, CandMedian: 1}}}
	figs, omitted, err := All(context.Background(), Data{Digest: digest.Build(rs), Comparison: cmp})
	require.NoError(t, err)
	assert.Equal(t, len(makers), len(figs)+len(omitted))
	for _, o := range omitted {
		t.Log(o.Name, ": ", o.Reason)
	}
}

func TestSafeDrawTurnsAPanicIntoAnOmission(t *testing.T) {
	f, reason, err := safeDraw(maker{name: "x", draw: func(Data) (*Figure, string, error) { panic("Values must be greater than 0 for a log scale.") }}, Data{})
	require.NoError(t, err)
	assert.Nil(t, f)
	assert.Contains(t, reason, "greater than 0")
}
