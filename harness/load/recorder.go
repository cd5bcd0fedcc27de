package load

import (
	"context"
	"sync"
	"time"

	"fortio.org/fortio/periodic"
)

// call is one request as fortio's access-logger hook saw it.
type call struct {
	iter    int64
	start   time.Time // when fortio actually sent it
	latency time.Duration
	// latencyS is the latency in seconds exactly as fortio recorded it in
	// its histogram (a merged histogram is rebuilt from it).
	latencyS float64
	ok       bool   // fortio's verdict on the request
	details  string // fortio's details: the HTTP status, or the error
}

// recorder is fortio's AccessLogger: it keeps every request's thread,
// iteration, actual start and latency, so that percentiles are exact and
// the intended-time view can be rebuilt after the run from fortio's own
// schedule (including the slots it never sent). Each fortio thread appends
// only to its own slice; the mutex guards the slice of threads while it
// grows.
type recorder struct {
	mu      sync.Mutex
	threads [][]call
}

func (r *recorder) thread(id periodic.ThreadID) *[]call {
	r.mu.Lock()
	defer r.mu.Unlock()
	for int(id) >= len(r.threads) {
		r.threads = append(r.threads, make([]call, 0, 1024))
	}
	return &r.threads[id]
}

// Start implements periodic.AccessLogger.
func (r *recorder) Start(ctx context.Context, _ periodic.ThreadID, _ int64, _ time.Time) context.Context {
	return ctx
}

// Report implements periodic.AccessLogger.
func (r *recorder) Report(_ context.Context, id periodic.ThreadID, iter int64, start time.Time, latency float64, ok bool, details string) {
	t := r.thread(id)
	c := call{iter: iter, start: start, latency: time.Duration(latency * 1e9), latencyS: latency, ok: ok}
	if !ok {
		c.details = details // kept for failures only: the timeline's causes
	}
	*t = append(*t, c)
}

// Info implements periodic.AccessLogger.
func (r *recorder) Info() string { return "meshbench per-request recorder" }

// calls returns the recorded calls per thread; call after the run.
func (r *recorder) calls() [][]call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.threads
}

// serviceMs returns every recorded latency in milliseconds.
func serviceMs(threads [][]call) []float64 {
	var out []float64
	for _, t := range threads {
		for _, c := range t {
			out = append(out, float64(c.latency)/1e6)
		}
	}
	return out
}
