package inject

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"time"
)

// Config selects injections; the zero value injects nothing.
type Config struct {
	Spin          time.Duration
	Delay         time.Duration
	DelayFraction float64
	RetainBytes   int64
}

// Enabled reports whether any injection is on.
func (c Config) Enabled() bool {
	return c.Spin > 0 || (c.Delay > 0 && c.DelayFraction > 0) || c.RetainBytes > 0
}

func (c Config) String() string {
	return fmt.Sprintf("spin=%v delay=%v delay_fraction=%g retain_bytes=%d", c.Spin, c.Delay, c.DelayFraction, c.RetainBytes)
}

// Injector applies a Config per request. Safe for concurrent use.
type Injector struct {
	cfg       Config
	spinIters int64
	delayPerM uint32
	retained  []byte
	sink      atomic.Uint64
}

// New calibrates the spin loop and allocates retained memory.
func New(c Config) *Injector {
	in := &Injector{cfg: c, delayPerM: uint32(min(max(c.DelayFraction, 0), 1) * 1e6)}
	if c.Spin > 0 {
		in.spinIters = calibrate(c.Spin)
	}
	if c.RetainBytes > 0 {
		in.retained = make([]byte, c.RetainBytes)
		pg := os.Getpagesize()
		for i := 0; i < len(in.retained); i += pg { // touch every page so RSS grows
			in.retained[i] = byte(i)
		}
	}
	return in
}

// spin runs n iterations of work the compiler cannot remove.
func spin(n int64) uint64 {
	x := uint64(n) | 1
	for i := int64(0); i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// calibrate finds the iteration count that takes d, from the best of a few
// timed runs (the fastest run is the least disturbed).
func calibrate(d time.Duration) int64 {
	const probe = 1 << 20
	var sink uint64
	best := time.Duration(1<<63 - 1)
	for range 5 {
		t0 := time.Now()
		sink += spin(probe)
		if e := time.Since(t0); e < best {
			best = e
		}
	}
	if best <= 0 {
		best = 1
	}
	calibrationSink.Add(sink) // keeps the timed loop from being optimized away
	return max(1, int64(float64(probe)*float64(d)/float64(best)))
}

var calibrationSink atomic.Uint64

// Request applies per-request injections (nil Injector: none).
func (in *Injector) Request() {
	if in == nil {
		return
	}
	if in.spinIters > 0 {
		in.sink.Add(spin(in.spinIters))
	}
	if in.delayPerM > 0 && in.cfg.Delay > 0 && rand.Uint32N(1_000_000) < in.delayPerM {
		time.Sleep(in.cfg.Delay)
	}
}

// Retained returns the retained bytes (kept reachable).
func (in *Injector) Retained() int { return len(in.retained) }
