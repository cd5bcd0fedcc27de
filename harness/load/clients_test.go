package load

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"fortio.org/fortio/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitClients(t *testing.T) {
	tests := []struct {
		name      string
		qps       float64
		conns, n  int
		wantConns []int
		wantQPS   []float64
	}{
		{"one client is the phase", 100, 4, 1, []int{4}, []float64{100}},
		{"even", 200, 8, 2, []int{4, 4}, []float64{100, 100}},
		{"uneven: rate follows connections", 300, 5, 3, []int{2, 2, 1}, []float64{120, 120, 60}},
		{"max qps stays max", -1, 4, 2, []int{2, 2}, []float64{-1, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os, err := SplitClients(Options{QPS: tt.qps, Connections: tt.conns, Duration: time.Second}, tt.n)
			require.NoError(t, err)
			var conns []int
			var qps []float64
			for _, o := range os {
				conns = append(conns, o.Connections)
				qps = append(qps, o.QPS)
				assert.Equal(t, tt.n > 1, o.Samples, "several clients report samples")
			}
			assert.Equal(t, tt.wantConns, conns)
			assert.InDeltaSlice(t, tt.wantQPS, qps, 1e-9)
		})
	}
	_, err := SplitClients(Options{QPS: 10, Connections: 2}, 3)
	assert.ErrorContains(t, err, "3 load clients need at least as many connections (have 2)")
	_, err = SplitClients(Options{QPS: 10, Connections: 4, BucketWidth: time.Second}, 2)
	assert.ErrorContains(t, err, "timeline")
}

// TestMergeOfRealClients: two clients run one phase against a real echo
// server at the same time; the merged report is the one of the union of
// their requests: counts add up, percentiles are the exact ones of every
// sample, and the histogram equals stats.Merge of the histograms the two
// clients' fortio recorded themselves.
func TestMergeOfRealClients(t *testing.T) {
	url := echoServer(t)
	parts, err := SplitClients(Options{URL: url, QPS: 200, Connections: 4, Duration: 700 * time.Millisecond, Uniform: true}, 2)
	require.NoError(t, err)
	reps := make([]*Report, len(parts))
	var wg sync.WaitGroup
	for i, o := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			reps[i], err = Run(context.Background(), o)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	var union []float64
	var fortioMerged *stats.Histogram
	for _, r := range reps {
		require.NotNil(t, r.Samples)
		require.Len(t, r.Samples.ServiceS, int(r.Requests))
		h := stats.NewHistogram(0, r.Samples.Resolution)
		for _, v := range r.Samples.ServiceS {
			h.Record(v)
			union = append(union, float64(time.Duration(v*1e9))/1e6)
		}
		// The samples are what this client's fortio recorded.
		assert.Equal(t, r.Histogram.Buckets, toHistogram(h.Export()).Buckets)
		if fortioMerged == nil {
			fortioMerged = h
		} else {
			fortioMerged = stats.Merge(fortioMerged, h)
		}
	}
	m, err := Merge(reps)
	require.NoError(t, err)
	assert.Equal(t, reps[0].Requests+reps[1].Requests, m.Requests)
	assert.Equal(t, exactPercentiles(slices.Clone(union)), m.Latency)
	want := toHistogram(fortioMerged.Export())
	assert.Equal(t, want.Count, m.Histogram.Count)
	assert.Equal(t, want.Buckets, m.Histogram.Buckets)
	assert.Equal(t, want.Min, m.Histogram.Min)
	assert.Equal(t, want.Max, m.Histogram.Max)
	require.NotNil(t, m.Schedule)
	assert.Equal(t, reps[0].Schedule.Slots+reps[1].Schedule.Slots, m.Schedule.Slots)
	assert.Equal(t, m.Schedule.Slots, m.Requests+m.Schedule.NotSent)
	require.NotNil(t, m.Scheduled)
	assert.GreaterOrEqual(t, m.Scheduled.Max, m.Latency.Max*0.999)
	assert.InDelta(t, reps[0].AchievedQPS+reps[1].AchievedQPS, m.AchievedQPS, 1e-9)

	reps[1].Samples = nil
	_, err = Merge(reps)
	assert.ErrorContains(t, err, "load client 1: report without samples")
}

func TestMergeFellBehind(t *testing.T) {
	a := &Report{Requests: 1, Samples: &Samples{Resolution: DefaultResolution, ServiceS: []float64{0.001}}}
	b := &Report{Requests: 1, FellBehind: true, StarvedReason: "lag", Samples: &Samples{Resolution: DefaultResolution, ServiceS: []float64{0.002}}}
	m, err := Merge([]*Report{a, b})
	require.NoError(t, err)
	assert.True(t, m.FellBehind)
	assert.Equal(t, "load client 1: lag", m.StarvedReason)
	assert.Equal(t, 2.0, m.Latency.Max)
	b.Samples.Resolution = 1e-3
	_, err = Merge([]*Report{a, b})
	assert.ErrorContains(t, err, "resolution")
}
