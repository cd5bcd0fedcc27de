package load

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

func TestAnalyzeChargesNeverSentSlots(t *testing.T) {
	p := plan{start: time.Unix(1000, 0), threads: 2, perThreadQPS: 100, callsPerThread: 11}
	ms := time.Millisecond
	at := func(th int, i int64, late time.Duration) time.Time { return p.intended(th, i).Add(late) }
	threads := [][]call{
		// Fortio spaces 11 calls at 100 qps (1 + 1/10) * 10 ms = 11 ms apart.
		// Thread 0: iteration 2 stalls 35 ms, so slots 3, 4, 5 (due 11, 22
		// and 33 ms after it) are never sent; 6 leaves 2 ms late; 7-10 are
		// after the run's end.
		{
			{iter: 0, start: at(0, 0, 0), latency: ms},
			{iter: 1, start: at(0, 1, 0), latency: ms},
			{iter: 2, start: at(0, 2, 0), latency: 35 * ms},
			{iter: 6, start: at(0, 6, 2*ms), latency: ms},
		},
		// Thread 1: its last request stalls past the two slots after it.
		{
			{iter: 0, start: at(1, 0, 0), latency: ms},
			{iter: 1, start: at(1, 1, 0), latency: ms},
			{iter: 2, start: at(1, 2, 0), latency: ms},
			{iter: 3, start: at(1, 3, 0), latency: ms},
			{iter: 4, start: at(1, 4, 500*time.Microsecond), latency: 25 * ms},
		},
	}
	s := analyze(p, threads, DefaultLateThreshold)
	assert.Equal(t, int64(14), s.slots, "7 slots reached per thread, sent or not")
	assert.Equal(t, int64(5), s.notSent)
	assert.Equal(t, int64(1), s.sentLate, "0.5 ms late is timer jitter, 2 ms is late")
	want := []float64{1, 1, 35, 24, 13, 2, 3, 1, 1, 1, 1, 25.5, 14.5, 3.5}
	require.Len(t, s.intendedMs, len(want))
	for i := range want {
		assert.InDelta(t, want[i], s.intendedMs[i], 0.01, "slot %d", i)
	}
	assert.ElementsMatch(t, []float64{24, 13, 2, 14.5, 3.5}, round(s.notSentWaitMs))
}

func round(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(int(x*100+0.5)) / 100
	}
	return out
}

func TestPlanMatchesFortio(t *testing.T) {
	// Fortio's uniform mode starts thread t of n t/n of an interval late;
	// over a 2 s run of 10 calls per thread the last call is due at 2 s.
	p := plan{start: time.Unix(0, 0), threads: 4, perThreadQPS: 5, callsPerThread: 10, uniform: true}
	assert.Equal(t, time.Duration(0), p.intended(0, 0).Sub(p.start))
	assert.Equal(t, 150*time.Millisecond, p.intended(3, 0).Sub(p.start))
	assert.Equal(t, 2*time.Second, p.intended(0, 9).Sub(p.start))
}

func TestExactPercentiles(t *testing.T) {
	// 1..1000 ms: the nearest-rank p-th percentile of 1000 values is the
	// value of rank ceil(p*10), with no interpolation.
	v := make([]float64, 1000)
	for i := range v {
		v[999-i] = float64(i + 1)
	}
	p := exactPercentiles(v)
	assert.Equal(t, 500.0, p.P50)
	assert.Equal(t, 750.0, p.P75)
	assert.Equal(t, 900.0, p.P90)
	assert.Equal(t, 990.0, p.P99)
	assert.Equal(t, 999.0, p.P999)
	assert.Equal(t, 1000.0, p.Max)

	small := exactPercentiles([]float64{0.3, 0.1, 0.2})
	assert.Equal(t, 0.2, small.P50)
	assert.Equal(t, 0.3, small.P75)
	assert.Equal(t, 0.3, small.P999)
	assert.Zero(t, exactPercentiles(nil))
}

func TestStarved(t *testing.T) {
	tests := []struct {
		p99  float64
		want bool
	}{{0.3, false}, {5, false}, {5.1, true}}
	for _, tc := range tests {
		s := exactPercentiles([]float64{tc.p99})
		got := starved(scheduleOf(s), DefaultStarveLag)
		assert.Equal(t, tc.want, got != "", "%v ms: %q", tc.p99, got)
	}
}

func scheduleOf(lateness results.Percentiles) results.Schedule {
	return results.Schedule{LatenessMs: lateness, Slots: 1}
}
