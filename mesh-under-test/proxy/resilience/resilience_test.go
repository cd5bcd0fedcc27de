package resilience

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenBucketRefills(t *testing.T) {
	t0 := time.Unix(100, 0)
	b := NewTokenBucket(2, 1, time.Second, t0)
	now := t0.UnixNano()
	assert.True(t, b.Allow(now))
	assert.True(t, b.Allow(now))
	assert.False(t, b.Allow(now))
	assert.False(t, b.Allow(now+int64(999*time.Millisecond)))
	assert.True(t, b.Allow(now+int64(time.Second)))
	assert.False(t, b.Allow(now+int64(time.Second)))
	// long idle refills only up to max
	later := now + int64(time.Hour)
	assert.True(t, b.Allow(later))
	assert.True(t, b.Allow(later))
	assert.False(t, b.Allow(later))
}

func TestRetryBudgetBoundsConcurrentRetries(t *testing.T) {
	tests := []struct {
		name     string
		th       Thresholds
		requests int
		want     int
	}{
		{"max retries", Thresholds{MaxRequests: 1000, MaxRetries: 3}, 100, 3},
		{"budget percent", Thresholds{MaxRequests: 1000, Budget: &RetryBudget{BudgetPercent: 20, MinRetryConcurrency: 3}}, 100, 20},
		{"budget floor", Thresholds{MaxRequests: 1000, Budget: &RetryBudget{BudgetPercent: 20, MinRetryConcurrency: 3}}, 5, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBreakers(tc.th)
			for range tc.requests {
				assert.True(t, b.AcquireRequest())
			}
			got := 0
			for b.AcquireRetry() {
				got++
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestBreakersOverflow(t *testing.T) {
	b := NewBreakers(Thresholds{MaxConnections: 1, MaxPendingRequests: 1, MaxRequests: 2})
	assert.True(t, b.AcquireConn())
	assert.False(t, b.AcquireConn())
	b.ReleaseConn()
	assert.True(t, b.AcquireConn())
	assert.True(t, b.AcquireRequest())
	assert.True(t, b.AcquireRequest())
	assert.False(t, b.AcquireRequest())
	assert.True(t, b.AcquirePending())
	assert.False(t, b.AcquirePending())
}

func TestFaultFractions(t *testing.T) {
	f := &Fault{Delay: time.Millisecond, DelayPerMillion: 1_000_000, AbortStatus: 503, AbortPerMillion: 500_000}
	aborts := 0
	for range 2000 {
		d, s := f.Decide()
		assert.Equal(t, time.Millisecond, d)
		if s == 503 {
			aborts++
		}
	}
	assert.InDelta(t, 1000, aborts, 150)
	var none *Fault
	d, s := none.Decide()
	assert.Zero(t, d)
	assert.Zero(t, s)
}

func TestRetryPolicyConditions(t *testing.T) {
	p := &RetryPolicy{On: OnGatewayError | OnRetriableCodes, RetriableCodes: []int{409}}
	assert.True(t, p.RetryStatus(503))
	assert.False(t, p.RetryStatus(500))
	assert.True(t, p.RetryStatus(409))
	assert.True(t, p.RetryConnectFailure())
	assert.True(t, p.RetryReset())
	for n := 1; n < 10; n++ {
		assert.LessOrEqual(t, p.Backoff(n), 250*time.Millisecond)
	}
	var none *RetryPolicy
	assert.False(t, none.RetryStatus(503))
}

// TestBackoffWithoutAPolicy: a route without a retry policy still retries
// a request the upstream refused unprocessed (GOAWAY, REFUSED_STREAM); its
// backoff must not dereference the nil policy (FuzzH2FastFrames found the
// lean h2 path crashing there) and stays within Envoy's default 25 ms.
func TestBackoffWithoutAPolicy(t *testing.T) {
	var p *RetryPolicy
	for n := 1; n <= 3; n++ {
		d := p.Backoff(n)
		assert.GreaterOrEqual(t, d, time.Duration(0))
		assert.LessOrEqual(t, d, 250*time.Millisecond, "retry %d", n)
	}
}

// TestRetryHoldKeepsTheRetryUntilItsAttemptEnds: a held retry counts
// against the budget until the next decision or the request's end, so a
// second request cannot take the one slot meanwhile; Release is idempotent
// (a stream's finish and its recycle both call it).
func TestRetryHoldKeepsTheRetryUntilItsAttemptEnds(t *testing.T) {
	b := NewBreakers(Thresholds{MaxRequests: 10, Budget: &RetryBudget{BudgetPercent: 0, MinRetryConcurrency: 1}})
	var a, c RetryHold
	require.True(t, a.Acquire(b))
	assert.False(t, c.Acquire(b), "the slot is held while a's retry attempt runs")
	require.True(t, a.Acquire(b), "a's next decision releases its slot before claiming one")
	assert.False(t, c.Acquire(b))
	a.Release()
	a.Release()
	require.True(t, c.Acquire(b), "released once, the slot is free")
	c.Release()
	assert.True(t, b.AcquireRetry(), "nothing leaked")
}
