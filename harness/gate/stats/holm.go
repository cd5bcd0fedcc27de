package stats

import (
	"math"
	"sort"
)

// Holm adjusts p-values for multiple comparisons by Holm's step-down method
// (Holm 1979), which controls the family-wise error rate under any
// dependence between the tests, like R's p.adjust(p, "holm"). The result is
// in the order of the input; rejecting every hypothesis whose adjusted p is
// below alpha keeps the chance of any false rejection at most alpha.
func Holm(p []float64) []float64 {
	m := len(p)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	adj := make([]float64, m)
	running := 0.0
	for rank, i := range idx {
		v := math.Min(1, float64(m-rank)*p[i])
		running = math.Max(running, v) // adjusted p-values never decrease
		adj[i] = running
	}
	return adj
}
