package history

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

func noisy(rng *rand.Rand, n int, mean, sd float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = mean + sd*rng.NormFloat64()
	}
	return v
}

func TestEDivisive(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name string
		x    []float64
		want []int // change point indices, each within ±2
	}{
		{"one step", append(noisy(rng, 30, 100, 2), noisy(rng, 30, 108, 2)...), []int{30}},
		{"two steps", append(append(noisy(rng, 25, 100, 1), noisy(rng, 25, 110, 1)...), noisy(rng, 25, 95, 1)...), []int{25, 50}},
		{"stationary", noisy(rng, 60, 100, 3), nil},
		{"too short", []float64{1, 2, 3}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cps := EDivisive(tt.x, Options{Seed: 1, PValue: 0.01})
			require.Len(t, cps, len(tt.want), "%+v", cps)
			for i, cp := range cps {
				assert.InDelta(t, tt.want[i], cp.Index, 2)
				assert.LessOrEqual(t, cp.P, 0.01)
			}
		})
	}
}

func TestEDivisiveFindsCreepThatNoPairwiseStepShows(t *testing.T) {
	// Ten releases, each 0.8% slower than the last (under any gate's
	// threshold), after a long stable stretch.
	rng := rand.New(rand.NewPCG(8, 9))
	x := noisy(rng, 40, 100, 0.5)
	for i := 1; i <= 20; i++ {
		x = append(x, 100*(1+0.008*float64(min(i, 10)))+0.5*rng.NormFloat64())
	}
	cps := EDivisive(x, Options{Seed: 2, PValue: 0.01})
	require.NotEmpty(t, cps)
	assert.InDelta(t, 42, cps[0].Index, 6)
	assert.Greater(t, cps[len(cps)-1].After, cps[0].Before)
}

func TestAppendLoadDetect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hist", "main.jsonl")
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		cpu := 50.0
		if i >= 25 {
			cpu = 56 // a 12% CPU regression lands at commit 25
		}
		var rs []*results.Result
		for rep := range 3 {
			rs = append(rs, &results.Result{Schema: results.Schema, Scenario: "quick", Lane: "mesh", Mode: "both",
				Case: results.Case{Name: "c1"}, Valid: true, Requests: 100, Repetition: rep,
				Started:     t0.Add(time.Duration(i) * time.Hour),
				Latency:     results.Percentiles{P50: 1 + 0.01*rng.NormFloat64()},
				Components:  []results.Component{{Role: results.RoleClientProxy, CPUUsPerRequest: cpu + rng.NormFloat64()}},
				Environment: results.Environment{GitRevision: fmt.Sprintf("rev%02d", i)}})
		}
		pts, err := PointsFrom(rs, "")
		require.NoError(t, err)
		require.NoError(t, Append(path, pts, nil))
	}
	series, err := Load(path, nil)
	require.NoError(t, err)
	key := "quick | mesh/both c1 | cpu_us_per_request/proxies"
	require.Len(t, series[key], 40)

	changes := Detect(series, Options{Seed: 3, PValue: 0.01}, 0)
	var cpuChange *Change
	for i := range changes {
		if changes[i].Series == key {
			cpuChange = &changes[i]
		}
	}
	require.NotNil(t, cpuChange, "changes: %+v", changes)
	assert.Equal(t, "rev25", cpuChange.At.Revision)
	assert.InDelta(t, 0.12, cpuChange.Relative(), 0.03)

	var buf bytes.Buffer
	require.NoError(t, WriteReport(&buf, changes, len(series)))
	assert.Contains(t, buf.String(), "rev25")

	_, err = PointsFrom([]*results.Result{{Valid: false}}, "")
	assert.Error(t, err)
}
