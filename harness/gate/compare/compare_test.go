package compare

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

var env = results.Environment{Hostname: "h", CPUModel: "cpu", Cores: 2, Kernel: "6.1", MachineID: "m1"}

// runs makes n synthetic mesh-lane results whose proxy CPU and p50 are
// scaled by cpuScale and latScale, with 1% noise.
func runs(rng *rand.Rand, n int, build string, cpuScale, latScale float64) []*results.Result {
	var out []*results.Result
	noise := func() float64 { return 1 + 0.01*rng.NormFloat64() }
	for i := range n {
		r := &results.Result{Schema: results.Schema, Scenario: "s", Lane: "mesh", Mode: "both",
			Case: results.Case{Name: "c1"}, Repetition: i, Requests: 5000, Valid: true, Environment: env,
			Labels: map[string]string{"build": build}}
		r.Latency = results.Percentiles{P50: 1.0 * latScale * noise(), P90: 1.5 * latScale * noise(), P99: 3 * noise(), P999: 6 * noise()}
		r.Components = []results.Component{
			{Role: results.RoleClientProxy, CPUUsPerRequest: 50 * cpuScale * noise(), RSSBytesSteady: 20 << 20, RSSBytesPeak: 22 << 20},
			{Role: results.RoleServerProxy, CPUUsPerRequest: 50 * cpuScale * noise(), RSSBytesSteady: 20 << 20, RSSBytesPeak: 22 << 20},
			{Role: results.RoleApp, CPUUsPerRequest: 20 * noise()},
		}
		out = append(out, r)
	}
	return out
}

func metric(t *testing.T, c *results.Comparison, name string) results.MetricComparison {
	for _, m := range c.Metrics {
		if m.Metric == name {
			return m
		}
	}
	t.Fatalf("no metric %s", name)
	return results.MetricComparison{}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name             string
		cpu, lat         float64
		overall, cpuVerd string
	}{
		{"A/A", 1, 1, results.Pass, results.Pass},
		{"20% CPU", 1.2, 1, results.Fail, results.Fail},
		{"10% p50 only", 1, 1.1, results.Fail, results.Pass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 1))
			c, err := Compare(runs(rng, 12, "base", 1, 1), runs(rng, 12, "candidate", tt.cpu, tt.lat), Options{BaseLabel: "b", CandidateLabel: "c"})
			require.NoError(t, err)
			assert.Equal(t, tt.overall, c.Verdict)
			assert.Equal(t, tt.cpuVerd, metric(t, c, "cpu_us_per_request/proxies").Verdict)
			assert.Equal(t, results.ReportOnly, metric(t, c, "latency_p999_ms").Verdict)
			assert.Equal(t, results.ReportOnly, metric(t, c, "cpu_us_per_request/app").Verdict)
			assert.Equal(t, 12, c.Rounds)

			// The JSON round-trips through the result model.
			path := filepath.Join(t.TempDir(), "comparison.json")
			require.NoError(t, results.WriteJSON(path, c))
			back, err := results.ReadComparison(path)
			require.NoError(t, err)
			assert.Equal(t, c.Verdict, back.Verdict)

			var buf bytes.Buffer
			require.NoError(t, WriteTable(&buf, c))
			assert.Contains(t, buf.String(), "cpu_us_per_request/proxies")
			assert.Contains(t, buf.String(), "verdict: "+tt.overall)
		})
	}
}

func TestCompareRefusesCrossMachine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	base, cand := runs(rng, 5, "base", 1, 1), runs(rng, 5, "candidate", 1, 1)
	for _, r := range cand {
		r.Environment.MachineID = "m2"
		r.Environment.CPUModel = "other cpu"
	}
	_, err := Compare(base, cand, Options{})
	require.ErrorIs(t, err, ErrCrossMachine)
	assert.Contains(t, err.Error(), `CPU "cpu" vs "other cpu"`)

	c, err := Compare(base, cand, Options{AllowCrossMachine: true})
	require.NoError(t, err)
	assert.Contains(t, c.Notes[0], "cross-machine")
}

func TestCompareDropsInvalidRunsAndMissingGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	base, cand := runs(rng, 8, "base", 1, 1), runs(rng, 8, "candidate", 1, 1)
	cand[0].Valid = false
	extra := runs(rng, 1, "candidate", 1, 1)[0]
	extra.Case.Name = "c2"
	cand = append(cand, extra)
	c, err := Compare(base, cand, Options{Thresholds: verdict.Thresholds{Rounds: 5}})
	require.NoError(t, err)
	assert.Equal(t, 7, metric(t, c, "latency_p50_ms").NCand)
	assert.Contains(t, c.Notes, "dropped 0 base and 1 candidate runs marked invalid (0 and 1 of them failed: they count in error_rate)")
	assert.Contains(t, c.Notes, "group mesh/both c2 has no base runs")

	_, err = Compare(nil, cand, Options{})
	assert.Error(t, err)
}

func TestSplitByLabel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	all := append(runs(rng, 3, "base", 1, 1), runs(rng, 4, "candidate", 1, 1)...)
	s := SplitByLabel(all, "build")
	assert.Len(t, s["base"], 3)
	assert.Len(t, s["candidate"], 4)
}

func TestUsable(t *testing.T) {
	behind := func(achieved float64, reasons ...string) *results.Result {
		return &results.Result{TargetQPS: 500, AchievedQPS: achieved, InvalidReasons: reasons}
	}
	tests := []struct {
		name string
		r    *results.Result
		tol  float64
		want bool
	}{
		{"valid", &results.Result{Valid: true}, 0.1, true},
		{"3% behind", behind(485, "load generator fell behind: 485.0 of 500 qps"), 0.1, true},
		{"15% behind", behind(425, "load generator fell behind: 425.0 of 500 qps"), 0.1, false},
		{"behind, tolerance off", behind(485, "load generator fell behind: 485.0 of 500 qps"), -1, false},
		{"behind and errors", behind(485, "load generator fell behind: 485.0 of 500 qps", "9 errors in 100 requests"), 0.1, false},
		{"steal", behind(499, "CPU steal 12.0% during the measured window"), 0.1, false},
		{"invalid without reasons", behind(499), 0.1, false},
		{"max-QPS run", &results.Result{TargetQPS: -1, AchievedQPS: 900, InvalidReasons: []string{"load generator fell behind"}}, 0.1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Usable(tt.r, tt.tol))
		})
	}
}
