package resilience

import (
	"math/rand/v2"
	"time"
)

// RetryOn is a set of Envoy x-envoy-retry-on conditions.
type RetryOn uint32

// Conditions supported (Envoy names in comments; RetryConditions lists
// them by name).
const (
	On5xx                   RetryOn = 1 << iota // 5xx (includes connect failure and reset)
	OnGatewayError                              // gateway-error: 502, 503, 504
	OnConnectFailure                            // connect-failure
	OnReset                                     // reset
	OnRetriableCodes                            // retriable-status-codes
	OnRefusedStream                             // refused-stream
	OnGRPCCancelled                             // cancelled
	OnGRPCDeadlineExceeded                      // deadline-exceeded
	OnGRPCResourceExhausted                     // resource-exhausted
	OnGRPCInternal                              // internal
	OnGRPCUnavailable                           // unavailable
)

// DefaultBufferLimit is the request body a retry may replay when the
// route sets no per_request_buffer_limit_bytes: Envoy's default listener
// per_connection_buffer_limit_bytes (1 MiB), which also caps the route's.
const DefaultBufferLimit = 1 << 20

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
	// BufferLimit bounds the request body kept to replay on a retry
	// (Envoy's retry_shadow_buffer_limit: the route's
	// per_request_buffer_limit_bytes, else the listener's buffer limit). A
	// request whose body outgrows it is not retried (Envoy's
	// retry_or_shadow_abandoned). 0 means DefaultBufferLimit.
	BufferLimit int64
}

// BodyLimit is the request body a retry may replay.
func (p *RetryPolicy) BodyLimit() int64 {
	if p == nil || p.BufferLimit <= 0 {
		return DefaultBufferLimit
	}
	return p.BufferLimit
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
