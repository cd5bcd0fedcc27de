package load

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fortio.org/fortio/stats"

	"github.com/meshbench/meshbench/harness/results"
)

// Samples are one load phase's raw values: every request's service time
// as fortio recorded it, and the intended-time view's per-slot values.
// Reports that carry them merge exactly.
type Samples struct {
	Resolution    float64   `json:"resolution"` // of the histogram, seconds
	ServiceS      []float64 `json:"service_s"`
	IntendedMs    []float64 `json:"intended_ms,omitempty"`
	LatenessMs    []float64 `json:"lateness_ms,omitempty"`
	NotSentWaitMs []float64 `json:"not_sent_wait_ms,omitempty"`
}

// SplitClients divides one load phase among n clients that run it at the
// same time: the connections are dealt out (n may not exceed them), each
// client's rate is the phase's in proportion to its connections (open
// loop at rate/n when they divide evenly), and every client reports its
// samples so that Merge is exact.
func SplitClients(o Options, n int) ([]Options, error) {
	if n <= 1 {
		return []Options{o}, nil
	}
	if o.Connections < n {
		return nil, fmt.Errorf("%d load clients need at least as many connections (have %d)", n, o.Connections)
	}
	if o.BucketWidth > 0 {
		return nil, errors.New("a timeline (bucket width) is not merged across load clients")
	}
	out := make([]Options, n)
	for i := range out {
		c := o
		c.Connections = o.Connections / n
		if i < o.Connections%n {
			c.Connections++
		}
		if o.QPS > 0 {
			c.QPS = o.QPS * float64(c.Connections) / float64(o.Connections)
		}
		c.Samples = true
		out[i] = c
	}
	return out, nil
}

// Merge combines the reports of clients that ran one phase together into
// the report one client would have made of all their requests: counts and
// errors add up, percentiles are exact over the union of the samples, the
// histogram is fortio's of the union (equal to stats.Merge of the clients'
// own, TestMergedHistogramsEqualHistogramOfUnion), and a client that fell
// behind makes the whole phase fall behind.
func Merge(reps []*Report) (*Report, error) {
	if len(reps) == 1 {
		return reps[0], nil
	}
	out := &Report{}
	var service, intended, lateness, notSentWait []float64
	var reasons []string
	res := 0.0
	for i, r := range reps {
		if r.Samples == nil {
			return nil, fmt.Errorf("load client %d: report without samples: cannot merge exactly", i)
		}
		if i > 0 && r.Samples.Resolution != res {
			return nil, fmt.Errorf("load client %d: histogram resolution %g, client 0 has %g", i, r.Samples.Resolution, res)
		}
		res = r.Samples.Resolution
		out.Requests += r.Requests
		out.Errors += r.Errors
		for k, v := range r.ErrorsByStatus {
			if out.ErrorsByStatus == nil {
				out.ErrorsByStatus = map[string]int64{}
			}
			out.ErrorsByStatus[k] += v
		}
		out.DurationS = max(out.DurationS, r.DurationS)
		out.AchievedQPS += r.AchievedQPS
		if out.Started.IsZero() || r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		if r.FellBehind {
			out.FellBehind = true
			reasons = append(reasons, fmt.Sprintf("load client %d: %s", i, r.StarvedReason))
		}
		service = append(service, r.Samples.ServiceS...)
		intended = append(intended, r.Samples.IntendedMs...)
		lateness = append(lateness, r.Samples.LatenessMs...)
		notSentWait = append(notSentWait, r.Samples.NotSentWaitMs...)
		if r.Schedule != nil {
			if out.Schedule == nil {
				out.Schedule = &results.Schedule{LateThresholdMs: r.Schedule.LateThresholdMs}
			}
			out.Schedule.Slots += r.Schedule.Slots
			out.Schedule.NotSent += r.Schedule.NotSent
			out.Schedule.SentLate += r.Schedule.SentLate
		}
	}
	out.StarvedReason = strings.Join(reasons, "; ")
	h := stats.NewHistogram(0, res)
	ms := make([]float64, len(service))
	for i, v := range service {
		h.Record(v)
		ms[i] = float64(time.Duration(v*1e9)) / 1e6 // as one client computes it
	}
	out.Histogram = toHistogram(h.Export().CalcPercentiles(percentiles))
	out.Latency = exactPercentiles(ms)
	if out.Schedule != nil {
		p := exactPercentiles(slices.Clone(intended))
		out.Scheduled = &p
		out.Schedule.LatenessMs = exactPercentiles(lateness)
		out.Schedule.NotSentWaitMs = exactPercentiles(notSentWait)
	}
	return out, nil
}
