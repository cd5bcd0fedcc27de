package load

import (
	"math/rand/v2"
	"testing"

	"fortio.org/fortio/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMergedHistogramsEqualHistogramOfUnion is the groundwork for N load
// clients: each records its own fortio histogram (same offset and
// resolution); stats.Merge of the N must equal the histogram one client
// would have recorded for all the requests - same count, min, max, buckets
// and percentiles - so merged percentiles are exact up to the histogram's
// own resolution.
func TestMergedHistogramsEqualHistogramOfUnion(t *testing.T) {
	tests := []struct {
		name    string
		clients int
		n       int
		maxS    float64 // latencies drawn in 0..maxS seconds
	}{
		{"one client", 1, 1000, 0.01},
		{"two clients", 2, 5000, 0.01},
		{"five clients with a long tail past the last bucket", 5, 3000, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.clients)))
			union := stats.NewHistogram(0, DefaultResolution)
			var merged *stats.Histogram
			for c := 0; c < tc.clients; c++ {
				h := stats.NewHistogram(0, DefaultResolution)
				for i := 0; i < tc.n; i++ {
					v := rng.Float64() * rng.Float64() * tc.maxS // skewed: a tail
					h.Record(v)
					union.Record(v)
				}
				if merged == nil {
					merged = h.Clone()
				} else {
					merged = stats.Merge(merged, h.Clone())
				}
			}
			ps := []float64{50, 75, 90, 99, 99.9}
			got, want := merged.Export().CalcPercentiles(ps), union.Export().CalcPercentiles(ps)
			require.Equal(t, want.Count, got.Count)
			assert.Equal(t, want.Min, got.Min)
			assert.Equal(t, want.Max, got.Max)
			assert.InDelta(t, want.Avg, got.Avg, 1e-12*want.Avg+1e-15, "sums differ only by float addition order")
			assert.InDelta(t, want.StdDev, got.StdDev, 1e-9*want.StdDev+1e-12)
			assert.Equal(t, want.Data, got.Data, "same buckets, same counts")
			assert.Equal(t, want.Percentiles, got.Percentiles)
		})
	}
}
