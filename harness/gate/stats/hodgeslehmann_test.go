package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHodgesLehmannOrderStatistics(t *testing.T) {
	// n1 = n2 = 10 at 95%: qwilcox(0.025, 10, 10) = 24 (P(U <= 23) <=
	// 0.025 < P(U <= 24), the table's two-tailed critical value 23), so the
	// interval is the 24th smallest and 24th largest of the 100 differences.
	x := make([]float64, 10)
	y := make([]float64, 10)
	for i := range x {
		x[i] = float64(i)             // 0..9
		y[i] = 100 + float64(i*i)*0.5 // spread, no ties among differences order
	}
	s, err := HodgesLehmann(x, y, 0.95)
	require.NoError(t, err)
	var d []float64
	for _, a := range x {
		for _, b := range y {
			d = append(d, b-a)
		}
	}
	slices.Sort(d)
	assert.Equal(t, d[23], s.Lo)
	assert.Equal(t, d[76], s.Hi)
	assert.Equal(t, (d[49]+d[50])/2, s.Estimate)
	assert.InDelta(t, 1-2*UCDF(23, 10, 10), s.Confidence, 1e-12)
	assert.GreaterOrEqual(t, s.Confidence, 0.95)
}

func TestHodgesLehmannKnownShift(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want float64
	}{
		{"pure shift", []float64{1, 2, 3, 4, 5}, []float64{11, 12, 13, 14, 15}, 10},
		{"R example", hwY, hwX, 0.305},
		{"negative", []float64{5, 6, 7}, []float64{1, 2, 3}, -4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := HodgesLehmann(tt.x, tt.y, 0.95)
			require.NoError(t, err)
			assert.InDelta(t, tt.want, s.Estimate, 1e-9)
			assert.LessOrEqual(t, s.Lo, s.Estimate)
			assert.GreaterOrEqual(t, s.Hi, s.Estimate)
		})
	}
}

// The interval's coverage must match what it claims: simulate shifted
// samples and count how often the true shift falls inside.
func TestHodgesLehmannCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	const trials, shift = 2000, 0.7
	var claimed float64
	covered := 0
	for range trials {
		x, y := make([]float64, 12), make([]float64, 12)
		for i := range x {
			// Skewed, like latencies.
			x[i] = rng.ExpFloat64()
			y[i] = rng.ExpFloat64() + shift
		}
		s, err := HodgesLehmann(x, y, 0.90)
		require.NoError(t, err)
		claimed = s.Confidence
		if s.Lo <= shift && shift <= s.Hi {
			covered++
		}
	}
	rate := float64(covered) / trials
	se := math.Sqrt(claimed * (1 - claimed) / trials)
	assert.InDelta(t, claimed, rate, 4*se, "claimed %.4f", claimed)
}

func TestHodgesLehmannRatio(t *testing.T) {
	base := []float64{100, 102, 98, 101, 99, 100.5, 97, 103}
	cand := make([]float64, len(base))
	for i, v := range base {
		cand[i] = v * 1.10
	}
	r, err := HodgesLehmannRatio(base, cand, 0.95)
	require.NoError(t, err)
	assert.InDelta(t, 1.10, r.Ratio, 1e-9)
	assert.Less(t, r.Lo, 1.10)
	assert.Greater(t, r.Hi, 1.10)

	_, err = HodgesLehmannRatio([]float64{0, 1}, []float64{1, 2}, 0.95)
	assert.ErrorIs(t, err, ErrNonPositive)
	_, err = HodgesLehmann([]float64{1}, []float64{2}, 1.5)
	assert.Error(t, err)
}

func TestMedian(t *testing.T) {
	assert.Equal(t, 2.0, Median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, Median([]float64{4, 1, 3, 2}))
	assert.True(t, math.IsNaN(Median(nil)))
}
