package micro

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/gate/callgrind"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

func tree(t *testing.T, name string) string {
	dir, err := filepath.Abs(filepath.Join("testdata", name))
	require.NoError(t, err)
	return dir
}

// Real go builds and benchmark runs of a tiny module: "slow" does four times
// the work of "base" per op.
func TestMicroEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Go benchmarks")
	}
	tests := []struct {
		name, cand string
		want       string
	}{
		{"4x slower fails", "slow", results.Fail},
		{"A/A does not fail", "base", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			spec, err := Spec{Packages: []string{"./..."}, Benchtime: "30ms", Count: 8}.Normalize()
			require.NoError(t, err)
			s, err := Run(ctx, Options{Spec: spec, Base: Side{"base", tree(t, "base")}, Candidate: Side{"candidate", tree(t, tt.cand)},
				WorkDir: t.TempDir(), Seed: 1})
			require.NoError(t, err)
			key := Key{Package: "example.com/microbench/work", Benchmark: "BenchmarkHash-2", Unit: "sec/op"}
			require.Len(t, s.Base[key], 8, "keys: %v", s.Base)
			require.Len(t, s.Candidate[key], 8)
			assert.Contains(t, string(s.RawBase), "BenchmarkHash")

			c, err := Compare(s, verdict.Thresholds{}, 1, "base", tt.cand, "test", results.Environment{})
			require.NoError(t, err)
			if tt.want != "" {
				assert.Equal(t, tt.want, c.Verdict, "%+v", c.Metrics)
			} else {
				assert.NotEqual(t, results.Fail, c.Verdict, "%+v", c.Metrics)
			}
			var row results.MetricComparison
			for _, m := range c.Metrics {
				if m.Metric == "sec/op" {
					row = m
				}
			}
			assert.Contains(t, row.Note, "benchstat two-sided p=")
			if tt.cand == "slow" {
				assert.Greater(t, row.Delta, 1.0, "four times the work is far over +100%%")
			}
		})
	}
}

func TestCallgrindInstructionsPerOp(t *testing.T) {
	if testing.Short() {
		t.Skip("runs valgrind")
	}
	if _, err := callgrind.Available(); err != nil {
		t.Skip("instructions per op need valgrind: ", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	per := map[string]float64{}
	for _, side := range []string{"base", "slow"} {
		bins, err := buildSide(ctx, tree(t, side), t.TempDir(), []string{"./..."}, 0)
		require.NoError(t, err)
		require.Len(t, bins, 1)
		ipo, err := callgrind.PerOp(ctx, bins[0].Dir, 0, bins[0].Path, benchRegexp("BenchmarkHash-2"), "BenchmarkHash", 200)
		require.NoError(t, err)
		per[side] = ipo
	}
	// 2000 rounds of three shift-xor pairs is ~6 instructions a round.
	assert.Greater(t, per["base"], 6000.0)
	assert.InDelta(t, 4.0, per["slow"]/per["base"], 0.2, "%v", per)
}

func TestExactVerdict(t *testing.T) {
	k := Key{Benchmark: "B", Unit: UnitInstructions}
	tests := []struct {
		name       string
		base, cand []float64
		want       string
	}{
		{"same", []float64{1000, 1001}, []float64{1000.5, 1000}, results.Pass},
		{"5% more", []float64{1000, 1001}, []float64{1050, 1051}, results.Fail},
		{"straddles threshold", []float64{1000, 1001}, []float64{1025, 1030}, results.Inconclusive},
		{"one side missing", []float64{1000}, nil, results.ReportOnly},
		{"counted once on a side", []float64{62, 63}, []float64{116}, results.ReportOnly},
		{"not repeatable", []float64{1000, 1100}, []float64{1200, 1210}, results.ReportOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, exactVerdict(k, tt.base, tt.cand, 0.03).Verdict)
		})
	}
}

func TestBenchRegexpAndSpec(t *testing.T) {
	assert.Equal(t, "^BenchmarkPick$/^p2c$", benchRegexp("BenchmarkPick/p2c-2"))
	assert.Equal(t, "BenchmarkPick", benchFunc("BenchmarkPick/p2c-2"))
	assert.Equal(t, `^BenchmarkA\.B$`, benchRegexp("BenchmarkA.B"))

	s, err := DecodeSpec(map[string]any{"packages": []any{"./mesh-under-test/..."}, "count": 12})
	require.NoError(t, err)
	assert.Equal(t, 12, s.Count)
	assert.Equal(t, "100ms", s.Benchtime)
	_, err = DecodeSpec(map[string]any{"packages": []any{"./x"}, "cuont": 3})
	assert.Error(t, err, "unknown fields are refused")
	_, err = DecodeSpec(map[string]any{})
	assert.Error(t, err)
	_, err = DecodeSpec(map[string]any{"packages": []any{"./x"}, "benchtime": "soon"})
	assert.Error(t, err)
}

// A 5% change in work per op: timing on a shared 2-vCPU VM cannot see it
// reliably, but callgrind's instruction count can, and the range rule FAILs
// it against the 3% threshold while an A/A pair PASSes.
func TestCallgrindCatchesFivePercent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs valgrind")
	}
	if _, err := callgrind.Available(); err != nil {
		t.Skip("instructions per op need valgrind: ", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	count := func(side string) []float64 {
		bins, err := buildSide(ctx, tree(t, side), t.TempDir(), []string{"./..."}, 0)
		require.NoError(t, err)
		var out []float64
		for range 2 {
			ipo, err := callgrind.PerOp(ctx, bins[0].Dir, 0, bins[0].Path, benchRegexp("BenchmarkHash"), "BenchmarkHash", 200)
			require.NoError(t, err)
			out = append(out, ipo)
		}
		return out
	}
	base, plus5, again := count("base"), count("plus5"), count("base")
	k := Key{Benchmark: "BenchmarkHash", Unit: UnitInstructions}
	fail := exactVerdict(k, base, plus5, 0.03)
	assert.Equal(t, results.Fail, fail.Verdict, "%+v", fail)
	assert.InDelta(t, 0.05, fail.Delta, 0.01)
	aa := exactVerdict(k, base, again, 0.03)
	assert.Equal(t, results.Pass, aa.Verdict, "%+v", aa)
	assert.Equal(t, base, again, "inside the benchmark function the count repeats exactly")
}
