package history

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/meshbench/meshbench/harness/gate/stats"
)

// Options tune change-point detection.
type Options struct {
	// PValue is the permutation test's significance level (default 0.001,
	// as Otava); Permutations defaults to the fewest that can reach it.
	PValue       float64
	Permutations int
	// MinSize is the fewest points a segment may have (default 4).
	MinSize int
	Seed    uint64
}

func (o Options) normalize() Options {
	if o.PValue <= 0 {
		o.PValue = 0.001
	}
	if o.Permutations <= 0 {
		o.Permutations = int(math.Ceil(1/o.PValue)) - 1
	}
	if o.MinSize < 2 {
		o.MinSize = 4
	}
	return o
}

// ChangePoint is an index i where the series' distribution changes:
// x[:i] and x[i:] differ.
type ChangePoint struct {
	Index  int
	P      float64
	Before float64 // median of the segment before
	After  float64 // median of the segment after
}

// EDivisive finds change points by E-Divisive with means (Matteson & James
// 2014, alpha = 1): repeatedly split the segment whose best split maximizes
// the energy statistic, keeping the split while a permutation test finds it
// significant.
func EDivisive(x []float64, o Options) []ChangePoint {
	o = o.normalize()
	rng := rand.New(rand.NewPCG(o.Seed, 0xed))
	bounds := []int{0, len(x)}
	var found []ChangePoint
	for {
		best, bestQ, segStart, segEnd := -1, -1.0, 0, 0
		for k := 0; k+1 < len(bounds); k++ {
			a, b := bounds[k], bounds[k+1]
			tau, q := bestSplit(x[a:b], o.MinSize)
			if tau > 0 && q > bestQ {
				best, bestQ, segStart, segEnd = a+tau, q, a, b
			}
		}
		if best < 0 {
			break
		}
		p := permutationP(x[segStart:segEnd], bestQ, o, rng)
		if p > o.PValue {
			break
		}
		found = append(found, ChangePoint{Index: best, P: p})
		bounds = append(bounds, best)
		sort.Ints(bounds)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Index < found[j].Index })
	// Medians of the final segments on each side of every change point.
	cuts := append(append([]int{0}, indices(found)...), len(x))
	for i := range found {
		found[i].Before = stats.Median(x[cuts[i]:cuts[i+1]])
		found[i].After = stats.Median(x[cuts[i+1]:cuts[i+2]])
	}
	return found
}

func indices(cps []ChangePoint) []int {
	out := make([]int, len(cps))
	for i, c := range cps {
		out[i] = c.Index
	}
	return out
}

// bestSplit returns the split tau (0 < tau < n) of x maximizing
//
//	Q(tau) = tau(n-tau)/n * (2 E|X-Y| - E|X-X'| - E|Y-Y'|)
//
// with X from x[:tau] and Y from x[tau:], computed in O(n^2) with running
// sums of the distance matrix, and its Q. tau is -1 when x is too short.
func bestSplit(x []float64, minSize int) (int, float64) {
	n := len(x)
	if n < 2*minSize {
		return -1, 0
	}
	// within[t] = sum_{i<j<t} |xi-xj|; prefix sums of rows make the
	// between-segment sum cheap.
	within := make([]float64, n+1)
	for t := 1; t <= n; t++ {
		s := 0.0
		for i := 0; i < t-1; i++ {
			s += math.Abs(x[i] - x[t-1])
		}
		within[t] = within[t-1] + s
	}
	// tail[t] = sum_{t<=i<j<n} |xi-xj|
	tail := make([]float64, n+1)
	for t := n - 1; t >= 0; t-- {
		s := 0.0
		for j := t + 1; j < n; j++ {
			s += math.Abs(x[t] - x[j])
		}
		tail[t] = tail[t+1] + s
	}
	total := within[n]
	best, bestQ := -1, math.Inf(-1)
	for tau := minSize; tau <= n-minSize; tau++ {
		m := n - tau
		between := total - within[tau] - tail[tau]
		q := 2*between/float64(tau*m) - within[tau]/pairs(tau) - tail[tau]/pairs(m)
		q *= float64(tau*m) / float64(n)
		if q > bestQ {
			best, bestQ = tau, q
		}
	}
	return best, bestQ
}

func pairs(k int) float64 { return float64(k*(k-1)) / 2 }

// permutationP is the share of shuffles of x whose best split is at least
// as strong as the observed one (with the +1 that keeps the test exact).
func permutationP(x []float64, q float64, o Options, rng *rand.Rand) float64 {
	y := append([]float64(nil), x...)
	hits := 0
	for range o.Permutations {
		rng.Shuffle(len(y), func(i, j int) { y[i], y[j] = y[j], y[i] })
		if _, qp := bestSplit(y, o.MinSize); qp >= q {
			hits++
		}
	}
	return float64(hits+1) / float64(o.Permutations+1)
}
