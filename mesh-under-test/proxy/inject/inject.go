package inject

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Config selects injections; the zero value injects nothing.
type Config struct {
	Spin          time.Duration
	Delay         time.Duration
	DelayFraction float64
	RetainBytes   int64
	// ErrorFraction of requests are answered 503 by the proxy itself
	// (an error-rate regression).
	ErrorFraction float64
	// RetainPerRequest bytes are kept for the life of the process for
	// every request (a leak: RSS grows with the requests served), up to
	// MaxRetainPerRequest in all so a long run cannot exhaust the machine.
	RetainPerRequest int64
	// UpstreamHeaders extra request headers are added to every HTTP/1.1
	// request the proxy forwards: the upstream (the app, behind the
	// server-side proxy) must parse them, so a candidate can make the app
	// itself slower through what its proxies send.
	UpstreamHeaders int
}

// MaxRetainPerRequest caps the memory RetainPerRequest keeps in all.
const MaxRetainPerRequest = 512 << 20

// Enabled reports whether any injection is on.
func (c Config) Enabled() bool {
	return c.Spin > 0 || (c.Delay > 0 && c.DelayFraction > 0) || c.RetainBytes > 0 ||
		c.ErrorFraction > 0 || c.RetainPerRequest > 0 || c.UpstreamHeaders > 0
}

// Validate rejects values outside their range, naming the flag.
func (c Config) Validate() error {
	switch {
	case c.Spin < 0:
		return fmt.Errorf("--inject-spin %v: must not be negative", c.Spin)
	case c.Delay < 0:
		return fmt.Errorf("--inject-delay %v: must not be negative", c.Delay)
	case c.DelayFraction < 0 || c.DelayFraction > 1:
		return fmt.Errorf("--inject-delay-fraction %g: outside 0..1", c.DelayFraction)
	case c.ErrorFraction < 0 || c.ErrorFraction > 1:
		return fmt.Errorf("--inject-error-fraction %g: outside 0..1", c.ErrorFraction)
	case c.RetainBytes < 0:
		return fmt.Errorf("--inject-retain-bytes %d: must not be negative", c.RetainBytes)
	case c.RetainPerRequest < 0:
		return fmt.Errorf("--inject-retain-per-request %d: must not be negative", c.RetainPerRequest)
	case c.UpstreamHeaders < 0 || c.UpstreamHeaders > 1000:
		return fmt.Errorf("--inject-upstream-headers %d: outside 0..1000", c.UpstreamHeaders)
	}
	return nil
}

func (c Config) String() string {
	return fmt.Sprintf("spin=%v delay=%v delay_fraction=%g retain_bytes=%d error_fraction=%g retain_per_request=%d upstream_headers=%d",
		c.Spin, c.Delay, c.DelayFraction, c.RetainBytes, c.ErrorFraction, c.RetainPerRequest, c.UpstreamHeaders)
}

// Injector applies a Config per request. Safe for concurrent use.
type Injector struct {
	cfg       Config
	spinIters int64
	delayPerM uint32
	retained  []byte
	sink      atomic.Uint64
	errorPerM uint32
	headers   []Header

	mu     sync.Mutex
	leaked [][]byte
	leakN  int64
}

// Header is one injected upstream request header.
type Header struct{ Name, Value string }

// New calibrates the spin loop and allocates retained memory.
func New(c Config) *Injector {
	in := &Injector{cfg: c, delayPerM: perMillion(c.DelayFraction), errorPerM: perMillion(c.ErrorFraction)}
	for i := range c.UpstreamHeaders {
		// distinct names: the upstream parses and stores each one
		in.headers = append(in.headers, Header{Name: fmt.Sprintf("x-inject-pad-%03d", i), Value: "injected-upstream-header-padding"})
	}
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

func perMillion(f float64) uint32 { return uint32(min(max(f, 0), 1) * 1e6) }

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

// calibrate finds the iteration count that takes d of CPU time, from the
// best of a few runs timed on the thread's own CPU clock. Wall time would
// also count the time the thread waited for a core: on a loaded machine
// every run can wait, and the spin came out a fraction of d (43 us for
// 200 us, TestSpinIsCalibrated under load). The fastest run is the least
// disturbed (caches, migrations).
func calibrate(d time.Duration) int64 {
	const probe = 1 << 20
	runtime.LockOSThread() // the thread clock must read the thread that spins
	defer runtime.UnlockOSThread()
	var sink uint64
	best := time.Duration(1<<63 - 1)
	for range 5 {
		t0 := threadCPU()
		sink += spin(probe)
		if e := threadCPU() - t0; e < best {
			best = e
		}
	}
	if best <= 0 {
		best = 1
	}
	calibrationSink.Add(sink) // keeps the timed loop from being optimized away
	return max(1, int64(float64(probe)*float64(d)/float64(best)))
}

// threadCPU is the CPU time the calling thread has used (wall time where
// the thread clock cannot be read).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return time.Duration(time.Now().UnixNano())
	}
	return time.Duration(ts.Nano())
}

var calibrationSink atomic.Uint64

// Request applies per-request injections (nil Injector: none). It reports
// whether the proxy must answer this request with an injected 503.
func (in *Injector) Request() (fail bool) {
	if in == nil {
		return false
	}
	if in.spinIters > 0 {
		in.sink.Add(spin(in.spinIters))
	}
	if in.delayPerM > 0 && in.cfg.Delay > 0 && rand.Uint32N(1_000_000) < in.delayPerM {
		time.Sleep(in.cfg.Delay)
	}
	if in.cfg.RetainPerRequest > 0 {
		in.leak()
	}
	return in.errorPerM > 0 && rand.Uint32N(1_000_000) < in.errorPerM
}

// leak keeps RetainPerRequest more bytes, every page touched so RSS grows.
func (in *Injector) leak() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.leakN+in.cfg.RetainPerRequest > MaxRetainPerRequest {
		return
	}
	b := make([]byte, in.cfg.RetainPerRequest)
	for i := 0; i < len(b); i += 512 {
		b[i] = byte(i) | 1
	}
	in.leaked = append(in.leaked, b)
	in.leakN += int64(len(b))
}

// Leaked returns the bytes kept by RetainPerRequest so far.
func (in *Injector) Leaked() int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.leakN
}

// UpstreamHeaders returns the headers to add to every forwarded request
// (nil Injector or none configured: nil).
func (in *Injector) UpstreamHeaders() []Header {
	if in == nil {
		return nil
	}
	return in.headers
}

// Retained returns the retained bytes (kept reachable).
func (in *Injector) Retained() int { return len(in.retained) }
