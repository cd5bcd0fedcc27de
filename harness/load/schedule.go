package load

import (
	"time"

	"fortio.org/fortio/periodic"
)

// plan is fortio's open-loop schedule, recomputed exactly as fortio's
// periodic runner computes it (fortio.org/fortio/periodic, runQPSSetup and
// runOne): n threads, each callsPerThread requests; with Uniform, thread t
// starts t/n of an interval after the run's start; iteration i of a thread
// is due at its start + (i + i/(calls-1)) / perThreadQPS.
type plan struct {
	start          time.Time
	threads        int
	perThreadQPS   float64
	callsPerThread int64
	uniform        bool
}

// newPlan rebuilds the schedule of a fixed-QPS run from its options and
// fortio's results (which carry the start time and the thread count fortio
// settled on).
func newPlan(o Options, res *periodic.RunnerResults) plan {
	threads := max(res.NumThreads, 1)
	total := int64(o.QPS * o.Duration.Seconds())
	if total < 2 {
		total, threads = 2, 1
	}
	return plan{
		start:          res.StartTime,
		threads:        threads,
		perThreadQPS:   o.QPS / float64(threads),
		callsPerThread: total / int64(threads),
		uniform:        o.Uniform,
	}
}

// intended is when iteration i of thread t should start.
func (p plan) intended(t int, i int64) time.Time {
	start := p.start
	interval := 1 / p.perThreadQPS
	if p.uniform {
		delay := interval - interval/float64(p.threads)*float64(p.threads-t)
		start = start.Add(time.Duration(delay * 1e9))
	}
	elapsed := float64(i) / p.perThreadQPS
	if p.callsPerThread > 1 {
		elapsed = (float64(i) + float64(i)/float64(p.callsPerThread-1)) / p.perThreadQPS
	}
	return start.Add(time.Duration(int64(elapsed * 1e9)))
}

// DefaultLateThreshold is how late a request may leave before it counts as
// sent late: above timer and scheduler wake-up jitter of an idle machine.
const DefaultLateThreshold = time.Millisecond

// schedule is the intended-time view of one run.
type schedule struct {
	intendedMs []float64 // every slot's latency from its intended start
	latenessMs []float64 // how late each sent request left
	slots      int64
	notSent    int64
	sentLate   int64
	// notSentWaitMs is, per never-sent slot, how long after its intended
	// start its connection became free.
	notSentWaitMs []float64
}

// analyze charges every slot of the plan that the run reached. A sent
// request's intended-time latency is its lateness plus its service time. A
// slot fortio skipped (no catch-up: its connection was still busy when it
// was due) gets the time from its intended start until the connection was
// free: the request before it on the connection completed. That is
// HdrHistogram's coordinated-omission correction and wrk2's view, and a
// lower bound: the skipped request would also have taken its own service
// time. Slots after a thread's last request count only if they fell due
// while that request was in flight (a cancelled run's unreached slots do
// not).
func analyze(p plan, threads [][]call, lateThreshold time.Duration) schedule {
	var s schedule
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	skip := func(t int, k int64, free time.Time) {
		wait := max(free.Sub(p.intended(t, k)), 0)
		s.intendedMs = append(s.intendedMs, ms(wait))
		s.notSentWaitMs = append(s.notSentWaitMs, ms(wait))
		s.notSent++
		s.slots++
	}
	for t, calls := range threads {
		var next int64
		var free time.Time // when the connection's last request completed
		for _, c := range calls {
			if free.IsZero() {
				free = c.start
			}
			for k := next; k < c.iter; k++ {
				skip(t, k, free)
			}
			late := max(c.start.Sub(p.intended(t, c.iter)), 0)
			if late > lateThreshold {
				s.sentLate++
			}
			s.latenessMs = append(s.latenessMs, ms(late))
			s.intendedMs = append(s.intendedMs, ms(late+c.latency))
			s.slots++
			free = c.start.Add(c.latency)
			next = c.iter + 1
		}
		for k := next; k < p.callsPerThread && !free.IsZero() && p.intended(t, k).Before(free); k++ {
			skip(t, k, free)
		}
	}
	return s
}
