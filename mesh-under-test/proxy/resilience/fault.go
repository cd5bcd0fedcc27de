package resilience

import (
	"math/rand/v2"
	"time"
)

// Fault is Envoy's HTTPFault: a fixed delay and/or an abort, each applied to
// a fraction of requests (per million, from FractionalPercent).
type Fault struct {
	Delay           time.Duration
	DelayPerMillion uint32
	AbortStatus     int
	AbortPerMillion uint32
}

func hit(perMillion uint32) bool {
	return perMillion > 0 && (perMillion >= 1_000_000 || rand.Uint32N(1_000_000) < perMillion)
}

// Decide draws this request's fault: how long to delay and which status to
// abort with (0: none).
func (f *Fault) Decide() (time.Duration, int) {
	if f == nil {
		return 0, 0
	}
	var d time.Duration
	if f.Delay > 0 && hit(f.DelayPerMillion) {
		d = f.Delay
	}
	status := 0
	if f.AbortStatus > 0 && hit(f.AbortPerMillion) {
		status = f.AbortStatus
	}
	return d, status
}
