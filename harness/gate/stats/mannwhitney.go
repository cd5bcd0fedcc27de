package stats

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ErrSampleSize is returned when a sample is empty.
var ErrSampleSize = errors.New("stats: each sample needs at least one value")

// UTest is the outcome of a one-sided Mann-Whitney U test.
type UTest struct {
	// U counts the pairs (x_i, y_j) with y_j > x_i, ties counting one half.
	U float64
	// P is the exact one-sided p-value P(U' >= U) under the null hypothesis
	// that both samples come from one distribution, computed from the
	// permutation distribution of the observed mid-ranks, so it stays exact
	// when values tie.
	P        float64
	N1, N2   int
	HasTies  bool
	AllEqual bool
}

// MannWhitneyGreater tests H0: x and y have the same distribution against
// H1: y tends to be larger than x. For the gate x is the base and y the
// candidate: a small p says the candidate is slower (larger is worse).
func MannWhitneyGreater(x, y []float64) (UTest, error) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return UTest{}, ErrSampleSize
	}
	for _, v := range append(append([]float64(nil), x...), y...) {
		if math.IsNaN(v) {
			return UTest{}, fmt.Errorf("stats: NaN in sample")
		}
	}
	scores, inY, hasTies := doubledMidRanks(x, y)
	// Doubled rank sum of y; U_y = W_y - n2(n2+1)/2 with W = S/2.
	obs := 0
	for i, s := range scores {
		if inY[i] {
			obs += s
		}
	}
	res := UTest{N1: n1, N2: n2, HasTies: hasTies}
	res.U = float64(obs)/2 - float64(n2*(n2+1))/2
	if scoresAllEqual(scores) {
		// Every ordering gives the same statistic: no evidence either way.
		res.AllEqual, res.P = true, 1
		return res, nil
	}
	d := rankSumDist(scores, n2)
	res.P = d.upperTail(obs)
	return res, nil
}

// doubledMidRanks ranks the pooled sample and returns twice each value's
// mid-rank (an integer even under ties), whether each pooled value came from
// y, and whether any values tie.
func doubledMidRanks(x, y []float64) (scores []int, inY []bool, ties bool) {
	type obs struct {
		v   float64
		isY bool
	}
	pooled := make([]obs, 0, len(x)+len(y))
	for _, v := range x {
		pooled = append(pooled, obs{v, false})
	}
	for _, v := range y {
		pooled = append(pooled, obs{v, true})
	}
	sort.SliceStable(pooled, func(i, j int) bool { return pooled[i].v < pooled[j].v })
	scores = make([]int, len(pooled))
	inY = make([]bool, len(pooled))
	for i := 0; i < len(pooled); {
		j := i
		for j < len(pooled) && pooled[j].v == pooled[i].v {
			j++
		}
		if j-i > 1 {
			ties = true
		}
		// Ranks i+1..j (1-based); twice their mean is i+1+j.
		for k := i; k < j; k++ {
			scores[k] = i + 1 + j
			inY[k] = pooled[k].isY
		}
		i = j
	}
	return scores, inY, ties
}

func scoresAllEqual(s []int) bool {
	for _, v := range s {
		if v != s[0] {
			return false
		}
	}
	return true
}

// sumDist is the null distribution of the doubled rank sum of a sample of
// size n drawn without replacement from a fixed multiset of scores:
// prob[t] = P(S = t), with both tails accumulated once (the study evaluates
// thousands of gates of the same sizes).
type sumDist struct {
	prob  []float64
	lower []float64 // lower[t] = P(S <= t)
	upper []float64 // upper[t] = P(S >= t), summed from the top for precision
}

func newSumDist(prob []float64) *sumDist {
	d := &sumDist{prob: prob, lower: make([]float64, len(prob)), upper: make([]float64, len(prob))}
	acc := 0.0
	for t, p := range prob {
		acc += p
		d.lower[t] = math.Min(1, acc)
	}
	acc = 0
	for t := len(prob) - 1; t >= 0; t-- {
		acc += prob[t]
		d.upper[t] = math.Min(1, acc)
	}
	return d
}

// upperTail returns P(S >= t).
func (d *sumDist) upperTail(t int) float64 {
	switch {
	case t <= 0:
		return 1
	case t >= len(d.upper):
		return 0
	}
	return d.upper[t]
}

// lowerTail returns P(S <= t).
func (d *sumDist) lowerTail(t int) float64 {
	switch {
	case t < 0:
		return 0
	case t >= len(d.lower):
		return 1
	}
	return d.lower[t]
}

var distCache sync.Map // string -> *sumDist

// rankSumDist computes, by dynamic programming over the pooled scores, the
// number of size-n subsets with each score sum, divided by C(N, n). Counts
// are float64: C(80, 40) ~ 1e23 loses only relative precision, never range.
func rankSumDist(scores []int, n int) *sumDist {
	key := distKey(scores, n)
	if d, ok := distCache.Load(key); ok {
		return d.(*sumDist)
	}
	maxSum := 0
	for _, s := range scores {
		maxSum += s
	}
	width := maxSum + 1
	// ways[k*width+t]: subsets of size k with sum t among the items seen.
	ways := make([]float64, (n+1)*width)
	ways[0] = 1
	for i, s := range scores {
		top := min(i+1, n)
		for k := top; k >= 1; k-- {
			row, prev := ways[k*width:(k+1)*width], ways[(k-1)*width:k*width]
			for t := width - 1; t >= s; t-- {
				if prev[t-s] != 0 {
					row[t] += prev[t-s]
				}
			}
		}
	}
	last := ways[n*width : (n+1)*width]
	total := 0.0
	for _, w := range last {
		total += w
	}
	prob := make([]float64, width)
	for t, w := range last {
		prob[t] = w / total
	}
	d := newSumDist(prob)
	distCache.Store(key, d)
	return d
}

func distKey(scores []int, n int) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(n))
	b.WriteByte('|')
	// Without ties the scores are 2, 4, ..., 2N: the key is just N.
	if !hasRepeats(scores) {
		b.WriteString("N")
		b.WriteString(strconv.Itoa(len(scores)))
		return b.String()
	}
	for _, s := range scores {
		b.WriteString(strconv.Itoa(s))
		b.WriteByte(',')
	}
	return b.String()
}

func hasRepeats(sorted []int) bool {
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return true
		}
	}
	return false
}

// UCDF returns P(U <= u) for the Mann-Whitney U statistic of samples of
// sizes n1 and n2 without ties.
func UCDF(u, n1, n2 int) float64 {
	d := noTieDist(n1, n2)
	// S/2 = U + n2(n2+1)/2.
	return d.lowerTail(2 * (u + n2*(n2+1)/2))
}

func noTieDist(n1, n2 int) *sumDist {
	scores := make([]int, n1+n2)
	for i := range scores {
		scores[i] = 2 * (i + 1)
	}
	return rankSumDist(scores, n2)
}

// MinP is the smallest one-sided p-value an exact U test can reach with
// samples of sizes n1 and n2 (no ties): 1 / C(n1+n2, n1).
func MinP(n1, n2 int) float64 {
	lc, _ := math.Lgamma(float64(n1 + n2 + 1))
	la, _ := math.Lgamma(float64(n1 + 1))
	lb, _ := math.Lgamma(float64(n2 + 1))
	return math.Exp(-(lc - la - lb))
}
