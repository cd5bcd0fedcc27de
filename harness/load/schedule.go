package load

import (
	"context"
	"sync"
	"time"

	"fortio.org/fortio/periodic"
	"fortio.org/fortio/stats"
)

// scheduleLogger measures latency from each request's scheduled start
// rather than its actual send time, so a stall that delays later requests is
// charged to them (coordinated omission). It uses fortio's AccessLogger
// hook: fortio's open-loop schedule for thread t, iteration i is
// threadStart + (i + i/(n-1)) / perThreadQPS, and with no catch-up a skipped
// slot still advances i, so i always names the scheduled slot.
type scheduleLogger struct {
	perThreadQPS float64
	callsPerThr  int64
	mu           sync.Mutex // guards threads' growth only; each thread writes its own slot
	threads      []*threadSchedule
}

type threadSchedule struct {
	start time.Time
	hist  *stats.Histogram
}

func newScheduleLogger(o Options) *scheduleLogger {
	total := int64(o.QPS * o.Duration.Seconds())
	thr := int64(o.Connections)
	if 2*thr > total && total >= 2 {
		thr = total / 2
	}
	if thr < 1 {
		thr = 1
	}
	return &scheduleLogger{
		perThreadQPS: o.QPS / float64(thr),
		callsPerThr:  total / thr,
		threads:      make([]*threadSchedule, 0, thr),
	}
}

func (s *scheduleLogger) slot(id periodic.ThreadID, at time.Time) *threadSchedule {
	s.mu.Lock()
	defer s.mu.Unlock()
	for int(id) >= len(s.threads) {
		s.threads = append(s.threads, nil)
	}
	ts := s.threads[id]
	if ts == nil {
		ts = &threadSchedule{start: at, hist: stats.NewHistogram(0, DefaultResolution)}
		s.threads[id] = ts
	}
	return ts
}

// Start implements periodic.AccessLogger.
func (s *scheduleLogger) Start(ctx context.Context, id periodic.ThreadID, iter int64, start time.Time) context.Context {
	if iter == 0 {
		s.slot(id, start)
	}
	return ctx
}

// Report implements periodic.AccessLogger.
func (s *scheduleLogger) Report(_ context.Context, id periodic.ThreadID, iter int64, start time.Time, latency float64, _ bool, _ string) {
	ts := s.slot(id, start)
	elapsed := float64(iter) / s.perThreadQPS
	if s.callsPerThr > 1 {
		elapsed = (float64(iter) + float64(iter)/float64(s.callsPerThr-1)) / s.perThreadQPS
	}
	scheduled := ts.start.Add(time.Duration(elapsed * 1e9))
	lateness := start.Sub(scheduled).Seconds()
	if lateness < 0 {
		lateness = 0 // timer jitter: early wake-ups don't shorten latency
	}
	ts.hist.Record(lateness + latency)
}

// Info implements periodic.AccessLogger.
func (s *scheduleLogger) Info() string { return "meshbench scheduled-start latency" }

// histogram merges the per-thread histograms; call after the run.
func (s *scheduleLogger) histogram() *stats.Histogram {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := stats.NewHistogram(0, DefaultResolution)
	for _, ts := range s.threads {
		if ts != nil {
			all.Transfer(ts.hist)
		}
	}
	return all
}
