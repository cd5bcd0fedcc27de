package resilience

import "sync/atomic"

// Thresholds are Envoy's circuit_breakers.thresholds (default priority).
type Thresholds struct {
	MaxConnections     int64
	MaxPendingRequests int64
	MaxRequests        int64
	MaxRetries         int64
	// Budget, when set, replaces MaxRetries with Envoy's retry_budget: active
	// retries may not exceed max(MinRetryConcurrency, BudgetPercent% of
	// active requests), so retries cannot multiply load.
	Budget *RetryBudget
}

// RetryBudget is Envoy's circuit_breakers.thresholds.retry_budget.
type RetryBudget struct {
	BudgetPercent       float64 // default 20
	MinRetryConcurrency int64   // default 3
}

// DefaultThresholds are Envoy's defaults.
func DefaultThresholds() Thresholds {
	return Thresholds{MaxConnections: 1024, MaxPendingRequests: 1024, MaxRequests: 1024, MaxRetries: 3}
}

// Breakers counts a cluster's resources against its thresholds.
type Breakers struct {
	T        Thresholds
	conns    atomic.Int64
	pending  atomic.Int64
	requests atomic.Int64
	retries  atomic.Int64
}

// NewBreakers returns breakers with zero counts.
func NewBreakers(t Thresholds) *Breakers { return &Breakers{T: t} }

func tryAcquire(c *atomic.Int64, limit int64) bool {
	if c.Add(1) > limit {
		c.Add(-1)
		return false
	}
	return true
}

// AcquireRequest admits a request (false: overflow, reply 503).
func (b *Breakers) AcquireRequest() bool { return tryAcquire(&b.requests, b.T.MaxRequests) }

// ReleaseRequest ends a request admitted by AcquireRequest.
func (b *Breakers) ReleaseRequest() { b.requests.Add(-1) }

// AcquireConn admits a new upstream connection.
func (b *Breakers) AcquireConn() bool { return tryAcquire(&b.conns, b.T.MaxConnections) }

// ReleaseConn records that an upstream connection closed.
func (b *Breakers) ReleaseConn() { b.conns.Add(-1) }

// AcquirePending admits a request to wait for a connection.
func (b *Breakers) AcquirePending() bool { return tryAcquire(&b.pending, b.T.MaxPendingRequests) }

// ReleasePending ends a wait admitted by AcquirePending.
func (b *Breakers) ReleasePending() { b.pending.Add(-1) }

// AcquireRetry admits one retry under MaxRetries or the retry budget.
func (b *Breakers) AcquireRetry() bool {
	limit := b.T.MaxRetries
	if bu := b.T.Budget; bu != nil {
		limit = int64(bu.BudgetPercent / 100 * float64(b.requests.Load()))
		if limit < bu.MinRetryConcurrency {
			limit = bu.MinRetryConcurrency
		}
	}
	return tryAcquire(&b.retries, limit)
}

// ReleaseRetry ends a retry admitted by AcquireRetry.
func (b *Breakers) ReleaseRetry() { b.retries.Add(-1) }

// Connections returns the open upstream connection count.
func (b *Breakers) Connections() int64 { return b.conns.Load() }

// Requests returns the in-flight request count.
func (b *Breakers) Requests() int64 { return b.requests.Load() }

// Pending returns the count of requests waiting for a connection.
func (b *Breakers) Pending() int64 { return b.pending.Load() }
