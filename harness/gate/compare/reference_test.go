package compare

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

// drifting makes runs on a machine whose speed changes from run to run by
// ±15% (uniform), moving every process's CPU per request and the latency
// together, as measured on the shared VM; cpuScale is the build's own
// effect on the proxies' CPU.
func drifting(rng *rand.Rand, n int, build string, cpuScale float64) []*results.Result {
	out := runs(rng, n, build, cpuScale, 1)
	for _, r := range out {
		speed := 1 + 0.15*(2*rng.Float64()-1)
		r.Latency.P50 *= speed
		r.Latency.P90 *= speed
		r.Latency.P99 *= speed
		for i := range r.Components {
			r.Components[i].CPUUsPerRequest *= speed
		}
	}
	return out
}

func TestReferenceAdjustsForMachineSpeed(t *testing.T) {
	tests := []struct {
		name      string
		reference string
		cpuScale  float64
		gatedCPU  string // the gated CPU row
		cpuVerd   string
		overall   string
	}{
		// Without the adjustment a 5% change drowns in the ±15% drift.
		{"raw, 5% CPU", "", 1.05, "cpu_us_per_request/proxies", results.Inconclusive, results.Inconclusive},
		{"adjusted, 5% CPU", verdict.RefApp, 1.05, "adj_cpu_us_per_request/proxies", results.Fail, results.Fail},
		{"adjusted, A/A", verdict.RefApp, 1, "adj_cpu_us_per_request/proxies", results.Pass, results.Pass},
		{"explicitly none", verdict.RefNone, 1.05, "cpu_us_per_request/proxies", results.Inconclusive, results.Inconclusive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 3))
			base, cand := drifting(rng, 15, "base", 1), drifting(rng, 15, "candidate", tt.cpuScale)
			c, err := Compare(base, cand, Options{Thresholds: verdict.Thresholds{Reference: tt.reference}})
			require.NoError(t, err)
			assert.Equal(t, tt.overall, c.Verdict)
			gated := metric(t, c, tt.gatedCPU)
			assert.True(t, gated.Gated)
			assert.Equal(t, tt.cpuVerd, gated.Verdict)
			if tt.gatedCPU != "cpu_us_per_request/proxies" {
				// The raw row stays, report-only, and the adjusted value
				// keeps the raw unit and scale (about 100 µs).
				assert.Equal(t, results.ReportOnly, metric(t, c, "cpu_us_per_request/proxies").Verdict)
				assert.Equal(t, results.ReportOnly, metric(t, c, "latency_p50_ms").Verdict)
				assert.True(t, metric(t, c, "adj_latency_p50_ms").Gated)
				assert.InDelta(t, 100, gated.BaseMedian, 10)
				// RSS does not scale with speed: never adjusted.
				assert.True(t, metric(t, c, "rss_bytes_steady/proxies").Gated)
			}
		})
	}
}

func TestReferenceMissingComponentGatesRaw(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	base, cand := runs(rng, 10, "base", 1, 1), runs(rng, 10, "candidate", 1, 1)
	for _, set := range [][]*results.Result{base, cand} {
		for _, r := range set {
			r.Components = r.Components[:2] // no app: nothing to adjust by
		}
	}
	c, err := Compare(base, cand, Options{Thresholds: verdict.Thresholds{Reference: verdict.RefApp}})
	require.NoError(t, err)
	assert.True(t, metric(t, c, "cpu_us_per_request/proxies").Gated)
	for _, m := range c.Metrics {
		assert.NotContains(t, m.Metric, AdjustedPrefix)
	}
}

func TestReferenceRejectsUnknownComponent(t *testing.T) {
	_, err := verdict.Decode(map[string]any{"reference": "client-proxy"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `reference: "client-proxy"`)
}

func TestReferenceMovedIsInconclusive(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	base, cand := runs(rng, 12, "base", 1, 1), runs(rng, 12, "candidate", 1, 1)
	for _, r := range cand {
		r.Components[2].CPUUsPerRequest *= 1.10 // the candidate reached the app
	}
	c, err := Compare(base, cand, Options{Thresholds: verdict.Thresholds{Reference: verdict.RefApp}})
	require.NoError(t, err)
	assert.Equal(t, results.Inconclusive, c.Verdict, "a moved reference is a verdict, not a note")
	require.Len(t, c.Reasons, 1)
	assert.Contains(t, c.Reasons[0], "the machine-speed reference moved: app CPU per request +")
	assert.Equal(t, results.Inconclusive, metric(t, c, "adj_cpu_us_per_request/proxies").Verdict)
	assert.Equal(t, "the machine-speed reference moved", metric(t, c, "adj_latency_p50_ms").Note)
	assert.Contains(t, c.Notes, "adj_ rows: CPU per request and latency adjusted for machine speed by the app's CPU per request in the same run (gated); their raw rows are report-only")

	c, err = Compare(base, runs(rng, 12, "candidate", 1, 1), Options{Thresholds: verdict.Thresholds{Reference: verdict.RefApp}})
	require.NoError(t, err)
	assert.Empty(t, c.Reasons, "an unmoved reference")
	assert.Equal(t, results.Pass, c.Verdict)
}

// withLoadgen adds the load client (the same meshbench binary as the app,
// so it drifts with the machine like the app) to drifting runs.
func withLoadgen(rng *rand.Rand, rs []*results.Result) []*results.Result {
	for _, r := range rs {
		speed := r.Components[2].CPUUsPerRequest / 20 // the app's drift
		r.Components = append(r.Components, results.Component{Role: results.RoleLoadgen, CPUUsPerRequest: 30 * speed * (1 + 0.01*rng.NormFloat64())})
	}
	return rs
}

// The simulation: a candidate that slows the proxies and the
// machine-speed reference alike by 5% PASSed 97.5% of gates when a moved
// reference was only a note. On a machine drifting ±15% from run to run,
// over 100 gates of 15+15 runs it must never PASS, while identical builds
// keep passing.
func TestCandidateSlowingReferenceAndProxiesNeverPasses(t *testing.T) {
	const gates = 100
	var pass, aaPass int
	for seed := range uint64(gates) {
		rng := rand.New(rand.NewPCG(seed, 7))
		base := withLoadgen(rng, drifting(rng, 15, "base", 1))
		cand := withLoadgen(rng, drifting(rng, 15, "candidate", 1.05))
		for _, r := range cand {
			r.Components[2].CPUUsPerRequest *= 1.05 // the app, not the load client
		}
		c, err := Compare(base, cand, Options{Thresholds: verdict.Thresholds{Reference: verdict.RefApp}})
		require.NoError(t, err)
		if c.Verdict == results.Pass {
			pass++
		}
		aa, err := Compare(base, withLoadgen(rng, drifting(rng, 15, "candidate", 1)), Options{Thresholds: verdict.Thresholds{Reference: verdict.RefApp}})
		require.NoError(t, err)
		if aa.Verdict == results.Pass {
			aaPass++
		}
	}
	t.Logf("app and proxies +5%%: %d of %d PASS; A/A: %d of %d PASS", pass, gates, aaPass, gates)
	assert.Zero(t, pass)
	assert.GreaterOrEqual(t, aaPass, 90)
}
