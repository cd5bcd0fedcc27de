package resilience

import (
	"sync"
	"time"
)

// TokenBucket is Envoy's local_ratelimit token_bucket: MaxTokens capacity,
// refilled by TokensPerFill every FillInterval. Refill is computed lazily
// from elapsed time, so no timer goroutine exists.
type TokenBucket struct {
	max, perFill int64
	interval     int64 // nanos

	mu       sync.Mutex
	tokens   int64
	lastFill int64
}

// NewTokenBucket returns a full bucket.
func NewTokenBucket(maxTokens, tokensPerFill int64, fillInterval time.Duration, now time.Time) *TokenBucket {
	if tokensPerFill <= 0 {
		tokensPerFill = 1
	}
	return &TokenBucket{max: maxTokens, perFill: tokensPerFill, interval: int64(fillInterval),
		tokens: maxTokens, lastFill: now.UnixNano()}
}

// Allow takes one token at now (unix nanos), reporting false when empty.
func (b *TokenBucket) Allow(now int64) bool {
	b.mu.Lock()
	if b.interval <= 0 { // never refilled; config validation refuses this
	} else if fills := (now - b.lastFill) / b.interval; fills > 0 {
		b.tokens += fills * b.perFill
		if b.tokens > b.max {
			b.tokens = b.max
		}
		b.lastFill += fills * b.interval
	}
	ok := b.tokens > 0
	if ok {
		b.tokens--
	}
	b.mu.Unlock()
	return ok
}
