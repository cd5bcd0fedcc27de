package stats

import (
	"slices"

	"golang.org/x/perf/benchmath"
)

// Summary is a sample's median with its order-statistic confidence interval.
type Summary struct {
	N          int
	Median     float64
	Lo, Hi     float64 // ±Inf when the sample is too small for the level
	Confidence float64 // achieved coverage, >= the level asked for
}

// MedianCI summarizes v the way benchstat does (benchmath.AssumeNothing):
// the sample median and the distribution-free interval between two order
// statistics whose binomial coverage is at least the given confidence. It
// uses benchmath itself so the gate's table and benchstat's agree exactly.
func MedianCI(v []float64, confidence float64) Summary {
	s := benchmath.NewSample(slices.Clone(v), &benchmath.DefaultThresholds)
	sum := benchmath.AssumeNothing.Summary(s, confidence)
	return Summary{N: len(v), Median: sum.Center, Lo: sum.Lo, Hi: sum.Hi, Confidence: sum.Confidence}
}
