package export

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fortio.org/fortio/fhttp"
	"fortio.org/fortio/periodic"
	"fortio.org/fortio/stats"

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
