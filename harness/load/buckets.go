package load

import (
	"strconv"
	"strings"
	"time"

	"github.com/meshbench/meshbench/harness/results"
)

// buckets cuts the recorded calls into a timeline of width-wide buckets by
// when each call started, from start: requests, failures by cause and
// exact percentiles per bucket. Empty buckets between busy ones are kept
// (a stalled second is a bucket with no requests, not a missing one).
func buckets(threads [][]call, start time.Time, width time.Duration) []results.TimeBucket {
	var out []results.TimeBucket
	var lat [][]float64
	for _, t := range threads {
		for _, c := range t {
			i := max(int(c.start.Sub(start)/width), 0)
			for len(out) <= i {
				out = append(out, results.TimeBucket{StartS: (time.Duration(len(out)) * width).Seconds()})
				lat = append(lat, nil)
			}
			b := &out[i]
			b.Requests++
			lat[i] = append(lat[i], float64(c.latency)/1e6)
			if !c.ok {
				b.Errors++
				if b.ErrorsByCause == nil {
					b.ErrorsByCause = map[string]int64{}
				}
				b.ErrorsByCause[cause(c.details)]++
			}
		}
	}
	for i := range out {
		p := exactPercentiles(lat[i])
		out[i].P50Ms, out[i].P99Ms = p.P50, p.P99
	}
	return out
}

// cause names a failure the way Report.ErrorsByStatus does: an HTTP status
// ("503"), "socket" for fortio's connection failure (-1), else the error
// text, cut short.
func cause(details string) string {
	if code, err := strconv.Atoi(details); err == nil {
		if code < 0 {
			return "socket"
		}
		return details
	}
	if details == "" {
		return "error"
	}
	if i := strings.IndexByte(details, '\n'); i >= 0 {
		details = details[:i]
	}
	if len(details) > 80 {
		details = details[:80]
	}
	return details
}
