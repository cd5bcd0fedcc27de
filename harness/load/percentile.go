package load

import (
	"math"
	"slices"

	"github.com/meshbench/meshbench/harness/results"
)

// exactPercentiles computes p50 p75 p90 p99 p99.9 and max of v (in the
// unit of v) by the nearest-rank method: the p-th percentile is the
// smallest recorded value that at least p% of the values do not exceed. No
// interpolation and no buckets: every value reported is one that was
// measured. v is sorted in place.
func exactPercentiles(v []float64) results.Percentiles {
	if len(v) == 0 {
		return results.Percentiles{}
	}
	slices.Sort(v)
	rank := func(p float64) float64 {
		// The 1e-9 guards against 0.999*1000 landing on 999.0000000001.
		i := int(math.Ceil(p/100*float64(len(v))-1e-9)) - 1
		return v[min(max(i, 0), len(v)-1)]
	}
	return results.Percentiles{
		P50: rank(50), P75: rank(75), P90: rank(90), P99: rank(99), P999: rank(99.9), Max: v[len(v)-1],
	}
}
