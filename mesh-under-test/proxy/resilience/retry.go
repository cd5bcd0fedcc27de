package resilience

import (
	"math/rand/v2"
	"time"
)

// RetryOn is a set of Envoy x-envoy-retry-on conditions.
type RetryOn uint32

// Conditions supported (Envoy names in comments).
const (
	On5xx            RetryOn = 1 << iota // 5xx (includes connect failure and reset)
	OnGatewayError                       // gateway-error: 502, 503, 504
	OnConnectFailure                     // connect-failure
	OnReset                              // reset
	OnRetriableCodes                     // retriable-status-codes
)

// RetryPolicy is Envoy's route retry_policy.
type RetryPolicy struct {
	On             RetryOn
	NumRetries     int
	PerTryTimeout  time.Duration
	RetriableCodes []int
	BaseInterval   time.Duration // default 25ms
	MaxInterval    time.Duration // default 10x base
	// AvoidTried is Envoy's previous_hosts retry host predicate: a retry's
	// host selection rejects every host the request has already tried,
	// re-running the load balancer up to HostSelectionAttempts more times
	// (host_selection_retry_max_attempts; Envoy's default 1), after which
	// the last host picked stands (a cluster of one host is retried on it).
	AvoidTried            bool
	HostSelectionAttempts int
}

// RetryStatus reports whether a response status calls for a retry.
func (p *RetryPolicy) RetryStatus(status int) bool {
	if p == nil {
		return false
	}
	if p.On&On5xx != 0 && status >= 500 {
		return true
	}
	if p.On&OnGatewayError != 0 && status >= 502 && status <= 504 {
		return true
	}
	if p.On&OnRetriableCodes != 0 {
		for _, c := range p.RetriableCodes {
			if c == status {
				return true
			}
		}
	}
	return false
}

// RetryConnectFailure reports whether a failed connect calls for a retry.
func (p *RetryPolicy) RetryConnectFailure() bool {
	return p != nil && p.On&(On5xx|OnGatewayError|OnConnectFailure) != 0
}

// RetryReset reports whether a reset (connection lost before a response)
// calls for a retry.
func (p *RetryPolicy) RetryReset() bool {
	return p != nil && p.On&(On5xx|OnGatewayError|OnReset) != 0
}

// Backoff returns the wait before retry number n (1-based): full jitter over
// an exponentially growing interval, as Envoy does. A nil policy (a route
// without one, whose request the upstream refused unprocessed: GOAWAY or
// REFUSED_STREAM, safe to send again) uses Envoy's default interval.
func (p *RetryPolicy) Backoff(n int) time.Duration {
	if p == nil {
		p = &RetryPolicy{}
	}
	base := p.BaseInterval
	if base <= 0 {
		base = 25 * time.Millisecond
	}
	limit := p.MaxInterval
	if limit <= 0 {
		limit = 10 * base
	}
	d := base << (n - 1)
	if d > limit || d <= 0 {
		d = limit
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}
