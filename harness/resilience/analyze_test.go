package resilience

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// timeline builds 1 s buckets: p99 in ms and errors per bucket.
func timeline(p99 []float64, errs []int64) []results.TimeBucket {
	var out []results.TimeBucket
	for i := range p99 {
		b := results.TimeBucket{StartS: float64(i), Requests: 100, Errors: errs[i], P50Ms: p99[i] / 2, P99Ms: p99[i]}
		if errs[i] > 0 {
			b.ErrorsByCause = map[string]int64{"503": errs[i]}
		}
		out = append(out, b)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestAnalyzeAndCheck(t *testing.T) {
	spec := Spec{Bucket: Duration{time.Second}, RecoveryP99Factor: 2, RecoveryP99Floor: Duration{time.Millisecond},
		Criteria: Criteria{MaxErrorsBefore: ptr(int64(0)), MaxRecovery: &Duration{1500 * time.Millisecond}, MaxErrorRateAfter: ptr(0.0)}}
	fault := []results.FaultEvent{{Kind: KindKill, Target: "app", BeganS: 2, EndedS: 4}}
	tests := []struct {
		name      string
		p99       []float64
		errs      []int64
		recovery  *float64
		passed    bool
		during    int64
		afterRate float64
	}{
		{"recovers at once", []float64{1, 1, 9, 9, 1, 1, 1}, []int64{0, 0, 100, 100, 0, 0, 0}, ptr(0.0), true, 200, 0},
		{"slow p99 after the fault", []float64{1, 1, 9, 9, 9, 1, 1}, []int64{0, 0, 100, 100, 0, 0, 0}, ptr(1.0), true, 200, 0},
		{"errors go on", []float64{1, 1, 9, 9, 1, 1, 1}, []int64{0, 0, 100, 100, 50, 0, 0}, ptr(1.0), false, 200, 50.0 / 300},
		{"in flight at the fault", []float64{1, 1, 9, 9, 1, 1, 1}, []int64{0, 3, 100, 100, 0, 0, 0}, ptr(0.0), true, 203, 0},
		{"never recovers", []float64{1, 1, 9, 9, 1, 1, 9}, []int64{0, 0, 0, 0, 0, 0, 0}, nil, false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Analyze(spec, timeline(tc.p99, tc.errs), fault)
			assert.Equal(t, int64(100), r.Before.Requests, "the bucket just before the fault counts as during")
			assert.Equal(t, tc.during, r.During.Errors)
			assert.InDelta(t, tc.afterRate, r.After.ErrorRate, 1e-9)
			if tc.recovery == nil {
				assert.Nil(t, r.RecoveryS)
			} else {
				require.NotNil(t, r.RecoveryS)
				assert.InDelta(t, *tc.recovery, *r.RecoveryS, 1e-9)
			}
			if tc.name == "slow p99 after the fault" {
				require.NotNil(t, r.ErrorRecoveryS)
				assert.Zero(t, *r.ErrorRecoveryS, "errors stopped at once; only latency lagged")
			}
			Check(spec, r, 700, nil)
			assert.Equal(t, tc.passed, r.Passed, "%+v", r.Criteria)
			assert.Len(t, r.Criteria, 3)
			_, err := json.Marshal(r)
			require.NoError(t, err, "the result can be written")
			if tc.recovery == nil {
				assert.InDelta(t, 3.0, r.Criteria[2].Measured, 1e-9, "never recovered: the 3 s the run went on after the fault, a lower bound")
				assert.Equal(t, "max_recovery", r.Criteria[2].Name)
				assert.False(t, r.Criteria[2].Held)
			}
		})
	}
}

// TestAbortRate: the measured abort rate is judged against the binomial
// interval of the configured rate.
func TestAbortRate(t *testing.T) {
	spec := Spec{Faults: []Fault{{Kind: KindAbort, Percent: 10, Status: 503}}, Criteria: Criteria{AbortRateZ: ptr(4.0)}}
	for _, tc := range []struct {
		aborted int64
		held    bool
	}{{1000, true}, {1100, true}, {1200, false}, {850, false}} {
		r := &results.Resilience{}
		Check(spec, r, 10000, map[string]int64{"503": tc.aborted})
		require.NotNil(t, r.Injected)
		// se = sqrt(0.1*0.9/10000) = 0.3%: bounds 10 +- 1.2%
		assert.InDelta(t, 8.8, r.Injected.LowPct, 1e-9)
		assert.InDelta(t, 11.2, r.Injected.HighPct, 1e-9)
		assert.Equal(t, tc.held, r.Passed, "aborted %d", tc.aborted)
	}
}

func TestAllowedCausesAndRSS(t *testing.T) {
	spec := Spec{Criteria: Criteria{AllowedCauses: []string{"503"}, MaxRSSMiB: map[string]float64{"server-proxy": 50}}}
	r := &results.Resilience{PeakRSSBytes: map[string]int64{"server-proxy": 40 << 20}}
	Check(spec, r, 100, map[string]int64{"503": 5})
	assert.True(t, r.Passed)
	r = &results.Resilience{PeakRSSBytes: map[string]int64{"server-proxy": 60 << 20}}
	Check(spec, r, 100, map[string]int64{"503": 5, "socket": 1})
	assert.False(t, r.Passed)
	assert.False(t, r.Criteria[0].Held, "a socket error is not a 503")
	assert.False(t, r.Criteria[1].Held, "60 MiB > 50 MiB")
}

func TestP99RatioDuring(t *testing.T) {
	spec := Spec{Criteria: Criteria{MaxP99RatioDuring: ptr(3.0)}}
	for _, tc := range []struct {
		before, during float64
		held           bool
	}{{2, 5.9, true}, {2, 6.1, false}, {0, 1, false}} {
		r := &results.Resilience{Before: results.PhaseStats{P99MedianMs: tc.before}, During: results.PhaseStats{P99Ms: tc.during}}
		Check(spec, r, 100, nil)
		_, err := json.Marshal(r)
		require.NoError(t, err, "the result can be written")
		assert.Equal(t, tc.held, r.Passed, "%+v", tc)
	}
}

// TestP99RatioDuringResistsOneNoisyBucket: the ratio's denominator is the
// before-phase's median bucket p99, so one slow bucket before the fault
// (a neighbour's burst) neither excuses a spike during it nor decides the
// verdict; the highest before-bucket did both.
func TestP99RatioDuringResistsOneNoisyBucket(t *testing.T) {
	spec := Spec{Bucket: Duration{time.Second}, Criteria: Criteria{MaxP99RatioDuring: ptr(5.0)}}
	fault := []results.FaultEvent{{Kind: KindSlowloris, Target: "server-proxy", BeganS: 5, EndedS: 7}}
	for _, tc := range []struct {
		name string
		p99  []float64
		held bool
	}{
		{"quiet before, spike during", []float64{2, 2, 2, 2, 2, 14, 2, 2, 2, 2}, false},
		{"one noisy bucket before does not excuse the spike", []float64{2, 2, 8, 2, 2, 14, 2, 2, 2, 2}, false},
		{"within the bound", []float64{2, 2, 8, 2, 2, 9, 2, 2, 2, 2}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Analyze(spec, timeline(tc.p99, make([]int64, len(tc.p99))), fault)
			assert.Equal(t, 2.0, r.Before.P99MedianMs)
			Check(spec, r, 1000, nil)
			require.Len(t, r.Criteria, 1)
			assert.Equal(t, tc.held, r.Criteria[0].Held, "%+v", r.Criteria[0])
		})
	}
}

// TestErrorRateAfterNeedsRequests: with no request after the faults (the
// fault outlasted the load) the after-rate has nothing to judge and does
// not hold; it used to pass as "0 of 0".
func TestErrorRateAfterNeedsRequests(t *testing.T) {
	spec := Spec{Criteria: Criteria{MaxErrorRateAfter: ptr(0.001)}}
	for _, tc := range []struct {
		after results.PhaseStats
		held  bool
	}{
		{results.PhaseStats{}, false},
		{results.PhaseStats{Requests: 1000}, true},
		{results.PhaseStats{Requests: 1000, Errors: 2, ErrorRate: 0.002}, false},
	} {
		r := &results.Resilience{After: tc.after}
		Check(spec, r, 1000, nil)
		require.Len(t, r.Criteria, 1)
		assert.Equal(t, tc.held, r.Criteria[0].Held, "%+v: %s", tc.after, r.Criteria[0].Detail)
	}
}
