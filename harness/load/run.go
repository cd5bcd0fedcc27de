package load

import (
	"context"
	"fmt"
	"io"
	"strings"

	"fortio.org/fortio/periodic"
	"fortio.org/fortio/stats"
	fortiolog "fortio.org/log"

	"github.com/meshbench/meshbench/harness/results"
)

// percentiles fortio computes for every run, in the order of results.Percentiles.
var percentiles = []float64{50, 75, 90, 99, 99.9}

// Run drives one load phase in this process and returns what it measured.
// Cancelling ctx aborts the phase early; what was measured so far is returned.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.Normalize(); err != nil {
		return nil, err
	}
	runner, err := runnerFor(o.Protocol)
	if err != nil {
		return nil, err
	}
	fortiolog.SetLogLevelQuiet(fortiolog.Error)
	base := periodic.RunnerOptions{
		RunType: "meshbench", QPS: o.QPS, Duration: o.Duration, NumThreads: o.Connections,
		Percentiles: percentiles, Resolution: o.Resolution, Uniform: o.Uniform, Jitter: o.Jitter,
		NoCatchUp: true, // open loop: a late request is skipped, never bunched
		Out:       io.Discard,
	}
	rec := &recorder{}
	base.AccessLogger = rec
	base.Stop = periodic.NewAborter()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			base.Stop.Abort(false)
		case <-done:
		}
	}()
	capture, skipped := startWire(o)
	res, err := runner.Run(base, o)
	wired := capture.stop()
	if err != nil {
		return nil, fmt.Errorf("fortio %s run against %s: %w", o.Protocol, o.URL, err)
	}
	rep := reportFrom(res, o)
	rep.WireSkipped = skipped
	if len(wired) > 0 {
		p := exactPercentiles(wired)
		rep.Wire = &p
	} else if o.Wire && skipped == "" {
		rep.WireSkipped = "no request/response pair seen on loopback"
	}
	calls := rec.calls()
	rep.Latency = exactPercentiles(serviceMs(calls))
	if o.Samples {
		rep.Samples = &Samples{Resolution: o.Resolution}
		for _, t := range calls {
			for _, c := range t {
				rep.Samples.ServiceS = append(rep.Samples.ServiceS, c.latencyS)
			}
		}
	}
	rep.Started = res.StartTime
	if o.BucketWidth > 0 {
		rep.Buckets = buckets(calls, res.StartTime, o.BucketWidth)
	}
	if o.QPS > 0 {
		sched := analyze(newPlan(o, &res.RunnerResults), calls, DefaultLateThreshold)
		p := exactPercentiles(sched.intendedMs)
		rep.Scheduled = &p
		rep.Schedule = &results.Schedule{
			Slots: sched.slots, NotSent: sched.notSent, NotSentWaitMs: exactPercentiles(sched.notSentWaitMs),
			SentLate: sched.sentLate, LateThresholdMs: float64(DefaultLateThreshold) / 1e6,
			LatenessMs: exactPercentiles(sched.latenessMs),
		}
		rep.StarvedReason = starved(*rep.Schedule, o.StarveLag)
		if rep.Samples != nil {
			rep.Samples.IntendedMs, rep.Samples.LatenessMs, rep.Samples.NotSentWaitMs = sched.intendedMs, sched.latenessMs, sched.notSentWaitMs
		}
		rep.FellBehind = rep.StarvedReason != ""
	}
	return rep, ctx.Err()
}

// payload is a deterministic body of n bytes.
func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

func reportFrom(res *Outcome, o Options) *Report {
	h := res.DurationHistogram
	rep := &Report{
		Requests:    h.Count,
		DurationS:   res.ActualDuration.Seconds(),
		AchievedQPS: res.ActualQPS,
		Histogram:   toHistogram(h),
	}
	for cause, n := range res.Errors {
		if rep.ErrorsByStatus == nil {
			rep.ErrorsByStatus = map[string]int64{}
		}
		rep.ErrorsByStatus[cause] += n
		rep.Errors += n
	}
	return rep
}

func toHistogram(h *stats.HistogramData) results.Histogram {
	out := results.Histogram{
		Count: h.Count, Min: h.Min * 1000, Max: h.Max * 1000, Avg: h.Avg * 1000, StdDev: h.StdDev * 1000,
	}
	for _, b := range h.Data {
		out.Buckets = append(out.Buckets, results.Bucket{Start: b.Start * 1000, End: b.End * 1000, Count: b.Count})
	}
	return out
}

// String renders a one-line summary.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests, %.1f qps, p50 %.3f ms, p99 %.3f ms", r.Requests, r.AchievedQPS, r.Latency.P50, r.Latency.P99)
	if r.Errors > 0 {
		fmt.Fprintf(&b, ", %d errors", r.Errors)
	}
	return b.String()
}
