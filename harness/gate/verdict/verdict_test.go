package verdict

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// sample draws n values around mean with relative noise cv (log-normal-ish).
func sample(rng *rand.Rand, n int, mean, cv float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = mean * (1 + cv*rng.NormFloat64())
	}
	return v
}

func defaults(t *testing.T) Thresholds {
	th, err := Thresholds{}.Normalize()
	require.NoError(t, err)
	return th
}

func TestDecide(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		name    string
		in      Input
		verdict string
	}{
		{"20% slower, low noise", Input{Base: sample(rng, 15, 100, 0.02), Candidate: sample(rng, 15, 120, 0.02), Threshold: 0.05}, results.Fail},
		{"identical, low noise", Input{Base: sample(rng, 15, 100, 0.005), Candidate: sample(rng, 15, 100, 0.005), Threshold: 0.05}, results.Pass},
		{"identical, very noisy", Input{Base: sample(rng, 15, 100, 0.25), Candidate: sample(rng, 15, 100, 0.25), Threshold: 0.05}, results.Inconclusive},
		{"faster", Input{Base: sample(rng, 15, 100, 0.02), Candidate: sample(rng, 15, 80, 0.02), Threshold: 0.05}, results.Pass},
		// Significant but below threshold: a real 2% change with a 5% bar
		// is not a regression, and the interval is under the bar.
		{"real but small", Input{Base: sample(rng, 15, 100, 0.002), Candidate: sample(rng, 15, 102, 0.002), Threshold: 0.05}, results.Pass},
		{"report only", Input{Base: sample(rng, 15, 100, 0.02), Candidate: sample(rng, 15, 150, 0.02), Threshold: -1}, results.ReportOnly},
		// 1.5 MiB on 20 MiB is 7.5% but under the 2 MiB floor (10% here).
		{"rss under absolute floor", Input{Base: sample(rng, 15, 20<<20, 0.001), Candidate: sample(rng, 15, 21.5*(1<<20), 0.001), Threshold: 0.05, AbsFloor: 2 << 20}, results.Pass},
		{"rss over absolute floor", Input{Base: sample(rng, 15, 20<<20, 0.001), Candidate: sample(rng, 15, 26<<20, 0.001), Threshold: 0.05, AbsFloor: 2 << 20}, results.Fail},
		{"no candidate runs", Input{Base: sample(rng, 15, 100, 0.02), Threshold: 0.05}, results.Inconclusive},
		{"too few rounds to ever fail", Input{Base: sample(rng, 3, 100, 0.01), Candidate: sample(rng, 3, 150, 0.01), Threshold: 0.05}, results.Inconclusive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, overall := Decide([]Input{tt.in}, defaults(t), 1)
			require.Len(t, out, 1)
			assert.Equal(t, tt.verdict, out[0].Verdict, "%+v", out[0])
			if tt.verdict != results.ReportOnly {
				assert.Equal(t, tt.verdict, overall)
			} else {
				assert.Equal(t, results.Pass, overall)
			}
		})
	}
}

func TestDecideHolmAcrossMetrics(t *testing.T) {
	// Six metrics, each with the same moderate evidence: unadjusted each p
	// is below alpha/2, but Holm over six is not, so nothing FAILs.
	base := []float64{100, 101, 102, 103, 104, 105, 106, 107}
	cand := []float64{104, 105, 106, 107, 108, 109, 110, 111}
	var in []Input
	for range 6 {
		in = append(in, Input{Base: base, Candidate: cand, Threshold: 0.03})
	}
	out, overall := Decide(in[:1], defaults(t), 1)
	assert.Equal(t, results.Fail, overall, "alone, the metric fails: %+v", out[0])
	out, overall = Decide(in, defaults(t), 1)
	assert.NotEqual(t, results.Fail, overall)
	assert.Less(t, out[0].P, 0.005)
	assert.Greater(t, out[0].PAdjusted, out[0].P)
}

func TestDecideCountsOnlyGatedInHolm(t *testing.T) {
	base := []float64{100, 101, 102, 103, 104, 105, 106, 107}
	cand := []float64{104, 105, 106, 107, 108, 109, 110, 111}
	in := []Input{{Base: base, Candidate: cand, Threshold: 0.03}}
	for range 5 {
		in = append(in, Input{Base: base, Candidate: cand, Threshold: -1})
	}
	_, overall := Decide(in, defaults(t), 1)
	assert.Equal(t, results.Fail, overall)
}

func TestThresholdsNormalize(t *testing.T) {
	th := defaults(t)
	assert.Equal(t, 0.03, th.CPUPerRequest)
	assert.Equal(t, 0.10, th.P99)
	assert.Equal(t, -1.0, th.P999, "p99.9 is report-only by default")
	assert.Equal(t, 0.005, th.LookAlpha(1))
	assert.Equal(t, 0.005, th.LookAlpha(2))

	noExt, err := Thresholds{Extension: -1}.Normalize()
	require.NoError(t, err)
	assert.Equal(t, 0.01, noExt.LookAlpha(1))

	_, err = Thresholds{Alpha: 0.7}.Normalize()
	assert.Error(t, err)
	_, err = Thresholds{Rounds: 2}.Normalize()
	assert.Error(t, err)
}

func TestDecode(t *testing.T) {
	th, err := Decode(map[string]any{"p99": 0.2, "rounds": 20, "extension": -1})
	require.NoError(t, err)
	assert.Equal(t, 0.2, th.P99)
	assert.Equal(t, 20, th.Rounds)
	assert.Equal(t, -1, th.Extension)
	again, err := th.Normalize()
	require.NoError(t, err)
	assert.Equal(t, th, again, "Normalize is idempotent")
	assert.Equal(t, 0.01, again.LookAlpha(1), "no extension: look 1 spends all of alpha")
	assert.Equal(t, 0.05, th.P50)

	_, err = Decode(map[string]any{"p95": 0.1})
	assert.Error(t, err, "unknown keys are refused")
	th, err = Decode(nil)
	require.NoError(t, err)
	assert.Equal(t, DefaultRounds, th.Rounds)
}

// TestNormalizeRejectsThresholdsOutsideZeroToOne: a threshold is a fraction
// (0.10 = 10%); 7 (meant as 7%) would practically never FAIL. -1 stays the
// report-only value. Each error names its field as the scenario writes it.
func TestNormalizeRejectsThresholdsOutsideZeroToOne(t *testing.T) {
	tests := []struct {
		name string
		th   Thresholds
		want string // "" = valid
	}{
		{"fraction", Thresholds{P99: 0.3}, ""},
		{"one", Thresholds{P99: 1}, ""},
		{"report-only", Thresholds{P99: -1, P999: -1, Micro: -1}, ""},
		{"percent written as a number", Thresholds{P99: 7}, "gate.p99: 7 is outside 0..1"},
		{"other negative", Thresholds{CPUPerRequest: -0.5}, "gate.cpu_per_request: -0.5 is outside 0..1"},
		{"rss", Thresholds{RSS: 1.5}, "gate.rss: 1.5 is outside 0..1"},
		{"behind tolerance", Thresholds{BehindTolerance: 2}, "gate.behind_tolerance: 2 is outside 0..1"},
		{"alpha", Thresholds{Alpha: 0.7}, "gate.alpha: 0.7 is outside (0, 0.5)"},
		{"rounds", Thresholds{Rounds: 2}, "gate.rounds: 2 is below the minimum of 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.th.Normalize()
			if tc.want == "" {
				require.NoError(t, err)
				again, err := got.Normalize()
				require.NoError(t, err, "normalized thresholds stay valid")
				assert.Equal(t, got, again)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := Thresholds{P99: 7, P50: 2}.Normalize()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gate.p99:")
	assert.Contains(t, err.Error(), "gate.p50:", "every bad field is reported, not the first")
}
