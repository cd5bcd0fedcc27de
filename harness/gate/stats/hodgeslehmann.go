package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// ErrNonPositive is returned by Ratio when a value is zero or negative, so
// the ratio of two distributions is undefined.
var ErrNonPositive = errors.New("stats: ratio needs positive values")

// Shift is the Hodges-Lehmann estimate of the location shift y - x (the
// median of all pairwise differences y_j - x_i) with its distribution-free
// confidence interval.
type Shift struct {
	Estimate float64
	Lo, Hi   float64
	// Confidence is the achieved coverage of [Lo, Hi]: at least the level
	// asked for (the U distribution is discrete), except when the samples
	// are too small for that level; then [Lo, Hi] spans every pairwise
	// difference and Confidence says how little that covers.
	Confidence float64
}

// HodgesLehmann returns the shift estimate of y relative to x and its
// two-sided confidence interval at the given level (e.g. 0.95), computed like
// R's wilcox.test(conf.int=TRUE, exact=TRUE): the interval between the k-th
// smallest and k-th largest pairwise difference, where k comes from the
// exact null distribution of U (Bauer 1972). The bounds use the distribution
// without ties; with tied data the coverage is approximate.
func HodgesLehmann(x, y []float64, confidence float64) (Shift, error) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return Shift{}, ErrSampleSize
	}
	if confidence <= 0 || confidence >= 1 {
		return Shift{}, fmt.Errorf("stats: confidence %v outside (0, 1)", confidence)
	}
	diffs := make([]float64, 0, n1*n2)
	for _, a := range x {
		for _, b := range y {
			diffs = append(diffs, b-a)
		}
	}
	slices.Sort(diffs)
	mn := len(diffs)
	res := Shift{Estimate: median(diffs)}

	qu := lowerQuantile((1-confidence)/2, n1, n2)
	res.Lo, res.Hi = diffs[qu-1], diffs[mn-qu]
	res.Confidence = 1 - 2*UCDF(qu-1, n1, n2)
	return res, nil
}

type quKey struct {
	n1, n2 int
	half   float64
}

var quCache sync.Map // quKey -> int

// lowerQuantile is R's qwilcox(half, n1, n2): the smallest u with
// P(U <= u) >= half, at least 1 (the interval can be no wider than the
// data allows).
func lowerQuantile(half float64, n1, n2 int) int {
	k := quKey{n1, n2, half}
	if v, ok := quCache.Load(k); ok {
		return v.(int)
	}
	d := noTieDist(n1, n2)
	base := n2 * (n2 + 1) / 2
	qu := 0
	for qu < n1*n2 && d.lowerTail(2*(qu+base)) < half {
		qu++
	}
	qu = max(qu, 1)
	quCache.Store(k, qu)
	return qu
}

// Ratio is the Hodges-Lehmann estimate of the ratio y/x (from the shift of
// log values) with its confidence interval; Delta = Ratio - 1 is the
// relative change the gate reports.
type Ratio struct {
	Ratio, Lo, Hi float64
	Confidence    float64
}

// HodgesLehmannRatio estimates how many times larger y is than x: exp of
// the Hodges-Lehmann shift of the logs. Scale changes (a 5% slower proxy)
// are shifts on the log scale, so this is the natural effect for
// performance data. Every value must be positive.
func HodgesLehmannRatio(x, y []float64, confidence float64) (Ratio, error) {
	lx, err := logs(x)
	if err != nil {
		return Ratio{}, err
	}
	ly, err := logs(y)
	if err != nil {
		return Ratio{}, err
	}
	s, err := HodgesLehmann(lx, ly, confidence)
	if err != nil {
		return Ratio{}, err
	}
	return Ratio{Ratio: math.Exp(s.Estimate), Lo: math.Exp(s.Lo), Hi: math.Exp(s.Hi), Confidence: s.Confidence}, nil
}

func logs(v []float64) ([]float64, error) {
	out := make([]float64, len(v))
	for i, x := range v {
		if !(x > 0) {
			return nil, fmt.Errorf("value %v: %w", x, ErrNonPositive)
		}
		out[i] = math.Log(x)
	}
	return out, nil
}

// median of a sorted slice.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// Median returns the median of v (which it does not modify).
func Median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return median(s)
}
