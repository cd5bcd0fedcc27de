package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	mstats "github.com/aclements/go-moremath/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// R's help page for wilcox.test (Hollander & Wolfe 1973, p. 69):
// wilcox.test(x, y, alternative = "g") gives W = 35, p-value = 0.1272.
var (
	hwX = []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	hwY = []float64{1.15, 0.88, 0.90, 0.74, 1.21}
)

func TestMannWhitneyMatchesR(t *testing.T) {
	// Our y is the sample tested for being larger: R's x.
	res, err := MannWhitneyGreater(hwY, hwX)
	require.NoError(t, err)
	assert.Equal(t, 35.0, res.U)
	assert.InDelta(t, 0.1272, res.P, 0.00005)
	assert.False(t, res.HasTies)
}

// Critical values of U from published one-tailed tables (e.g. Mann &
// Whitney 1947; any statistics textbook's table): the largest u with
// P(U <= u) <= alpha.
func TestUCriticalValuesMatchTables(t *testing.T) {
	tests := []struct {
		n1, n2 int
		alpha  float64
		crit   int
	}{
		{5, 5, 0.05, 4},
		{5, 5, 0.01, 1},
		{10, 10, 0.05, 27},
		{10, 10, 0.025, 23},
		{10, 10, 0.01, 19},
		{10, 10, 0.005, 16},
		{8, 8, 0.05, 15},
		{8, 8, 0.01, 9},
	}
	for _, tt := range tests {
		assert.LessOrEqual(t, UCDF(tt.crit, tt.n1, tt.n2), tt.alpha, "%+v", tt)
		assert.Greater(t, UCDF(tt.crit+1, tt.n1, tt.n2), tt.alpha, "%+v", tt)
	}
	// Exact small-sample values: P(U <= u) for n = 5, 5 is the count of
	// partitions of u into at most 5 parts of size at most 5, over C(10,5).
	for u, cum := range []float64{1, 2, 4, 7, 12, 19} {
		assert.InDelta(t, cum/252, UCDF(u, 5, 5), 1e-12, "u=%d", u)
	}
}

func TestMinP(t *testing.T) {
	// GATE.md and benchmath's table (two-sided minima halved).
	for n, want := range map[int]float64{4: 1.0 / 70, 5: 1.0 / 252, 7: 1.0 / 3432, 10: 1.0 / 184756} {
		assert.InDelta(t, want, MinP(n, n), want*1e-9, "n=%d", n)
		x, y := make([]float64, n), make([]float64, n)
		for i := range n {
			x[i], y[i] = float64(i), float64(100+i)
		}
		res, err := MannWhitneyGreater(x, y)
		require.NoError(t, err)
		assert.InDelta(t, want, res.P, want*1e-9)
	}
}

// bruteForceP enumerates every way to pick which pooled values are "y" and
// counts those with a U at least the observed one: the definition of the
// exact permutation p-value, ties included.
func bruteForceP(x, y []float64) float64 {
	pooled := append(append([]float64(nil), x...), y...)
	n, n2 := len(pooled), len(y)
	uOf := func(ys, xs []float64) float64 {
		u := 0.0
		for _, b := range ys {
			for _, a := range xs {
				switch {
				case b > a:
					u++
				case b == a:
					u += 0.5
				}
			}
		}
		return u
	}
	obs := uOf(y, x)
	hit, total := 0, 0
	for mask := 0; mask < 1<<n; mask++ {
		if popcount(mask) != n2 {
			continue
		}
		var xs, ys []float64
		for i, v := range pooled {
			if mask&(1<<i) != 0 {
				ys = append(ys, v)
			} else {
				xs = append(xs, v)
			}
		}
		total++
		if uOf(ys, xs) >= obs-1e-9 {
			hit++
		}
	}
	return float64(hit) / float64(total)
}

func popcount(m int) int {
	c := 0
	for ; m != 0; m &= m - 1 {
		c++
	}
	return c
}

func TestMannWhitneyExactUnderTies(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
	}{
		{"heavy ties", []float64{1, 1, 2, 2, 3}, []float64{2, 3, 3, 3, 4}},
		{"tie across samples", []float64{10, 11, 12, 12}, []float64{12, 12, 13, 14, 15}},
		{"all but one tied", []float64{5, 5, 5, 5}, []float64{5, 5, 5, 6}},
		{"no ties, unequal n", []float64{3.1, 4.1, 5.9}, []float64{2.6, 5.3, 5.8, 9.7, 9.3, 2.3}},
		{"integers like RSS pages", []float64{100, 101, 101, 102, 100, 103}, []float64{101, 102, 103, 103, 104, 102}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := MannWhitneyGreater(tt.x, tt.y)
			require.NoError(t, err)
			assert.InDelta(t, bruteForceP(tt.x, tt.y), res.P, 1e-12)
			// go-moremath's exact tie-aware UDist, an independent
			// implementation (Klotz 1966): its "x1 greater" is our y.
			ref, err := mstats.MannWhitneyUTest(tt.y, tt.x, mstats.LocationGreater)
			require.NoError(t, err)
			assert.InDelta(t, ref.P, res.P, 1e-9)
		})
	}
}

func TestMannWhitneyAllEqual(t *testing.T) {
	res, err := MannWhitneyGreater([]float64{7, 7, 7}, []float64{7, 7})
	require.NoError(t, err)
	assert.True(t, res.AllEqual)
	assert.Equal(t, 1.0, res.P)

	_, err = MannWhitneyGreater(nil, []float64{1})
	assert.ErrorIs(t, err, ErrSampleSize)
	_, err = MannWhitneyGreater([]float64{math.NaN()}, []float64{1})
	assert.Error(t, err)
}

// Under the null hypothesis an exact test rejects at most alpha of the time.
func TestMannWhitneySizeUnderNull(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const trials, alpha = 4000, 0.05
	rejects := 0
	for range trials {
		x, y := make([]float64, 10), make([]float64, 10)
		for i := range x {
			x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		res, err := MannWhitneyGreater(x, y)
		require.NoError(t, err)
		if res.P <= alpha {
			rejects++
		}
	}
	rate := float64(rejects) / trials
	// Exact size at the largest attainable level <= 0.05 is 0.0446; allow
	// four binomial standard errors.
	assert.InDelta(t, 0.0446, rate, 4*math.Sqrt(0.0446*0.9554/trials))
}
