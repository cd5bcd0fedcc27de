package export

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"fortio.org/fortio/fhttp"
	"fortio.org/fortio/periodic"
	"fortio.org/fortio/stats"

	"github.com/meshbench/meshbench/harness/plan"
	"github.com/meshbench/meshbench/harness/results"
)

// FortioPercentiles are the percentiles every exported DurationHistogram
// carries, the ones fortio's own runs report by default plus 75 and 99.9.
var fortioPercentiles = []float64{50, 75, 90, 99, 99.9}

// ToFortio converts a result to fortio's HTTP run result. Durations are in
// seconds, as fortio stores them. The percentiles are meshbench's exact ones
// (from every request's latency), not re-interpolated from the buckets.
func ToFortio(r *results.Result, id string) *fhttp.HTTPRunnerResults {
	h := r.Histogram
	const ms = 1e-3
	dh := &stats.HistogramData{
		Count: h.Count, Min: h.Min * ms, Max: h.Max * ms, Avg: h.Avg * ms, StdDev: h.StdDev * ms,
		Sum: h.Avg * ms * float64(h.Count),
	}
	var cum int64
	for _, b := range h.Buckets {
		cum += b.Count
		pct := 0.0
		if h.Count > 0 {
			pct = 100 * float64(cum) / float64(h.Count)
		}
		dh.Data = append(dh.Data, stats.Bucket{Interval: stats.Interval{Start: b.Start * ms, End: b.End * ms},
			Percent: pct, Count: b.Count})
	}
	p := r.Latency
	for i, v := range []float64{p.P50, p.P75, p.P90, p.P99, p.P999} {
		dh.Percentiles = append(dh.Percentiles, stats.Percentile{Percentile: fortioPercentiles[i], Value: v * ms})
	}
	qps := "max"
	if r.TargetQPS > 0 {
		qps = strconv.FormatFloat(r.TargetQPS, 'f', -1, 64)
	}
	dur := time.Duration(r.DurationS * float64(time.Second))
	out := &fhttp.HTTPRunnerResults{
		RunnerResults: periodic.RunnerResults{
			RunType: "HTTP", Labels: fortioLabels(r), StartTime: r.Started,
			RequestedQPS: qps, RequestedDuration: dur.String(),
			ActualQPS: r.AchievedQPS, ActualDuration: dur, NumThreads: r.Case.Connections,
			Version: "meshbench", DurationHistogram: dh,
			// meshbench's open loop: uniformly staggered connections, no
			// catch-up after a stall (README, measurement rules).
			Uniform: r.TargetQPS > 0, NoCatchUp: r.TargetQPS > 0, ID: id,
		},
		RetCodes:    retCodes(r),
		SocketCount: int64(r.Case.Connections),
	}
	// fortio's UI titles a run by its URL; meshbench's runs have none a
	// reader could use, so it names the lane and case instead.
	out.URL = "meshbench:" + r.Key()
	return out
}

func fortioLabels(r *results.Result) string {
	parts := []string{r.Scenario, r.Key(), fmt.Sprintf("rep%d", r.Repetition)}
	if b := r.Labels["build"]; b != "" {
		parts = append(parts, b)
	}
	return strings.Join(parts, " ")
}

// retCodes maps meshbench's error counts back to fortio's status codes:
// the successful requests count as 200, socket errors as -1.
func retCodes(r *results.Result) map[int]int64 {
	codes := map[int]int64{}
	if ok := r.Requests - r.Errors; ok > 0 {
		codes[200] = ok
	}
	for k, n := range r.ErrorsByStatus {
		code, err := strconv.Atoi(k)
		if err != nil {
			code = -1 // "socket" and anything else not an HTTP status
		}
		codes[code] += n
	}
	return codes
}

// FortioLane is the lane of results read from fortio JSON.
const FortioLane = "fortio"

// FromFortio decodes fortio JSON (fortio's HTTP result, or Nighthawk's
// fortio-format output) into a result; ok is false when data is JSON but
// not a fortio run result.
func FromFortio(data []byte, name string) (r *results.Result, ok bool, err error) {
	var probe struct {
		RunType           string
		DurationHistogram json.RawMessage
	}
	if !json.Valid(data) {
		return nil, false, fmt.Errorf("%s: not valid JSON", name)
	}
	if json.Unmarshal(data, &probe) != nil || probe.RunType == "" || len(probe.DurationHistogram) == 0 {
		return nil, false, nil
	}
	var f fhttp.HTTPRunnerResults
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, true, fmt.Errorf("%s: fortio result: %w", name, err)
	}
	h := f.DurationHistogram
	if h == nil || h.Count == 0 {
		return nil, true, fmt.Errorf("%s: fortio result: DurationHistogram has no requests", name)
	}
	target := -1.0
	if q, err := strconv.ParseFloat(f.RequestedQPS, 64); err == nil && q > 0 {
		target = q
	}
	c := results.Case{QPS: target, Connections: f.NumThreads, PayloadBytes: len(f.Payload), Protocol: "http1"}
	if strings.EqualFold(f.RunType, "GRPC") {
		c.Protocol = "grpc"
	}
	c.Name = plan.CaseName(c)
	r = &results.Result{
		Schema: results.Schema, Scenario: "fortio", ScenarioKind: "foreign", Platform: "foreign",
		Lane: FortioLane, Case: c, Started: f.StartTime, DurationS: f.ActualDuration.Seconds(),
		Labels: map[string]string{"source": name}, Requests: h.Count, TargetQPS: target, AchievedQPS: f.ActualQPS,
		Latency: fortioPercentilesMs(h), Histogram: fortioHistogramMs(h), Valid: true,
	}
	if f.Labels != "" {
		r.Labels["fortio_labels"] = f.Labels
	}
	for code, n := range f.RetCodes {
		if code >= 200 && code < 400 {
			continue
		}
		if r.ErrorsByStatus == nil {
			r.ErrorsByStatus = map[string]int64{}
		}
		k := strconv.Itoa(code)
		if code < 0 {
			k = "socket"
		}
		r.ErrorsByStatus[k] += n
		r.Errors += n
	}
	// The validity rules of meshbench's own runs (README): > 1% errors, or
	// a generator that achieved < 98% of its target.
	if r.Requests > 0 && float64(r.Errors) > 0.01*float64(r.Requests) {
		r.Valid = false
		r.InvalidReasons = append(r.InvalidReasons, fmt.Sprintf("errors %d of %d requests", r.Errors, r.Requests))
	}
	if target > 0 && r.AchievedQPS < 0.98*target {
		r.Valid = false
		r.InvalidReasons = append(r.InvalidReasons, fmt.Sprintf("achieved %.1f qps of %g", r.AchievedQPS, target))
	}
	return r, true, nil
}

// fortioPercentilesMs takes fortio's percentiles where present and
// interpolates the missing ones from the buckets, as fortio itself does.
func fortioPercentilesMs(h *stats.HistogramData) results.Percentiles {
	get := func(p float64) float64 {
		for _, x := range h.Percentiles {
			if math.Abs(x.Percentile-p) < 1e-9 {
				return x.Value * 1000
			}
		}
		return h.CalcPercentile(p) * 1000
	}
	return results.Percentiles{P50: get(50), P75: get(75), P90: get(90), P99: get(99), P999: get(99.9), Max: h.Max * 1000}
}

func fortioHistogramMs(h *stats.HistogramData) results.Histogram {
	out := results.Histogram{Count: h.Count, Min: h.Min * 1000, Max: h.Max * 1000, Avg: h.Avg * 1000, StdDev: h.StdDev * 1000}
	for _, b := range h.Data {
		out.Buckets = append(out.Buckets, results.Bucket{Start: b.Start * 1000, End: b.End * 1000, Count: b.Count})
	}
	return out
}
