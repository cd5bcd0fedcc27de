// Package resilience holds the compiled, immutable-configured but
// concurrently-updated mechanisms that protect upstreams and callers:
// circuit breakers and the retry budget (per cluster), retry policies and
// back-off, local rate limits (token buckets), and fault injection.
//
// Every type is safe for concurrent use; the per-request methods do not
// allocate.
package resilience
