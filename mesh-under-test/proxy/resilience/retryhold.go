package resilience

import "sync/atomic"

// RetryHold is one request's claim on its cluster's retry budget (or
// max_retries). Envoy counts a retry as active from the moment it is
// scheduled until the request's next retry decision or its end
// (RetryStateImpl::resetRetry): the retried attempt itself is in the
// count, so with every attempt hung until its per-try timeout the budget
// bounds the retries in flight, not only those waiting out a backoff.
//
// The zero value holds nothing. Acquire and Release may race (a stream
// reset while its retry is scheduled): the claim is an atomic swap, so it
// is released exactly once.
type RetryHold struct{ b atomic.Pointer[Breakers] }

// Acquire ends the claim held (the previous retry's attempt is over) and
// claims one for the next retry from b; false when b's budget is spent.
func (h *RetryHold) Acquire(b *Breakers) bool {
	h.Release()
	if !b.AcquireRetry() {
		return false
	}
	if old := h.b.Swap(b); old != nil {
		old.ReleaseRetry()
	}
	return true
}

// Release ends the claim, if one is held; the request's end calls it.
func (h *RetryHold) Release() {
	if b := h.b.Swap(nil); b != nil {
		b.ReleaseRetry()
	}
}
