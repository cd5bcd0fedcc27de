package compare

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/gate/verdict"
	catalog "github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

// withErrors gives runs an error rate; above 1% harness/run marks them
// invalid, as it does real runs.
func withErrors(rs []*results.Result, rate float64) []*results.Result {
	for _, r := range rs {
		r.Errors = int64(rate * float64(r.Requests))
		r.ErrorsByStatus = map[string]int64{"503": r.Errors}
		if rate > 0.01 {
			r.Valid, r.InvalidReasons = false, []string{fmt.Sprintf("%d errors in %d requests", r.Errors, r.Requests)}
		}
	}
	return rs
}

func TestErrorRateIsGatedEvidence(t *testing.T) {
	tests := []struct {
		name      string
		baseRate  float64
		candRate  float64
		failed    int // candidate runs that failed outright
		errVerd   string
		overall   string
		candDelta float64
	}{
		{"A/A, no errors", 0, 0, 0, results.Pass, results.Pass, 0},
		{"2% 503s: every candidate run invalid", 0, 0.02, 0, results.Fail, results.Fail, 0.02},
		{"0.5% 503s: valid runs, still a regression", 0, 0.005, 0, results.Fail, results.Fail, 0.005},
		{"the same 0.5% on both sides", 0.005, 0.005, 0, results.Pass, results.Pass, 0},
		{"candidate failed a third of its runs", 0, 0, 5, results.Inconclusive, results.Inconclusive, 0},
		{"candidate failed every run", 0, 0, 15, results.Fail, results.Fail, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(9, 9))
			base := withErrors(runs(rng, 15, "base", 1, 1), tt.baseRate)
			cand := withErrors(runs(rng, 15, "candidate", 1, 1), tt.candRate)
			for _, r := range cand[:tt.failed] {
				r.Valid, r.Requests, r.InvalidReasons = false, 0, []string{"client-proxy exited: exit status 2"}
			}
			c, err := Compare(base, cand, Options{Thresholds: verdict.Thresholds{Reference: verdict.RefApp}})
			require.NoError(t, err, "a candidate whose runs all failed is a verdict, not a run error")
			m := metric(t, c, catalog.ErrorRate().Name)
			assert.True(t, m.Gated)
			assert.True(t, m.Absolute)
			assert.InDelta(t, tt.candDelta, m.Delta, 1e-3)
			assert.Equal(t, tt.errVerd, m.Verdict, "p %.3g, CI [%.4f, %.4f]", m.PAdjusted, m.DeltaCILo, m.DeltaCIHi)
			assert.Equal(t, tt.overall, c.Verdict)
			if tt.failed > 0 || tt.candRate > 0.01 {
				require.NotEmpty(t, c.Reasons)
				assert.Contains(t, c.Reasons[0], "candidate failed")
			}
		})
	}
}

func TestFailed(t *testing.T) {
	tests := []struct {
		reasons []string
		want    bool
	}{
		{[]string{"load generator fell behind: its own send lag p99 9 ms exceeds 5 ms"}, false},
		{[]string{"CPU steal 12.0% during the measured window"}, false},
		{[]string{"100 errors in 5000 requests"}, true},
		{[]string{"CPU steal 12.0% during the measured window", "no requests completed"}, true},
		{nil, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Failed(&results.Result{InvalidReasons: tt.reasons}), "%q", tt.reasons)
	}
	assert.False(t, Failed(&results.Result{Valid: true}))
}
