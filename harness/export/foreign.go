package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"fortio.org/fortio/stats"

	"github.com/meshbench/meshbench/harness/plan"
	"github.com/meshbench/meshbench/harness/results"
)

// FortioLane is the lane of results read from fortio JSON.
const FortioLane = "fortio"

// flexInt is an integer written as a JSON number or a string: fortio
// writes numbers; Nighthawk's default fortio output (protobuf's JSON
// mapping) quotes 64-bit counts ("Count": "48").
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseFloat(string(bytes.Trim(b, `"`)), 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*f = flexInt(v)
	return nil
}

// flexQPS is fortio's RequestedQPS: a string ("1000", "max") in fortio's
// output, a number in Nighthawk's default fortio output.
type flexQPS string

func (f *flexQPS) UnmarshalJSON(b []byte) error {
	*f = flexQPS(bytes.Trim(b, `"`))
	return nil
}

// fortioDoc is the part of fortio's run-result JSON (fhttp.HTTPRunnerResults)
// meshbench reads, written so that both fortio's and Nighthawk's variants
// decode (the format: github.com/envoyproxy/nighthawk
// api/client/transform/fortio.proto, whose default output has no RunType,
// a numeric RequestedQPS, quoted counts and percentiles as fractions).
type fortioDoc struct {
	RunType           string
	Labels            string
	StartTime         time.Time
	RequestedQPS      flexQPS
	ActualQPS         float64
	ActualDuration    flexInt // nanoseconds
	NumThreads        flexInt
	Payload           []byte
	RetCodes          map[string]flexInt
	DurationHistogram *struct {
		Count                      flexInt
		Min, Max, Sum, Avg, StdDev float64
		Data                       []struct {
			Start, End, Percent float64
			Count               flexInt
		}
		Percentiles []stats.Percentile
	}
}

// FromFortio decodes fortio JSON (fortio's HTTP run result, or Nighthawk's
// fortio-format output) into a result; ok is false when data is JSON but
// not such a run result (no DurationHistogram beside a RunType or an
// ActualQPS).
func FromFortio(data []byte, name string) (r *results.Result, ok bool, err error) {
	if !json.Valid(data) {
		return nil, false, fmt.Errorf("%s: not valid JSON", name)
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(data, &probe) != nil || probe["DurationHistogram"] == nil ||
		probe["RunType"] == nil && probe["ActualQPS"] == nil {
		return nil, false, nil
	}
	var f fortioDoc
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, true, fmt.Errorf("%s: fortio result: %w", name, err)
	}
	h := fortioHistogram(f)
	if h == nil || h.Count == 0 {
		return nil, true, fmt.Errorf("%s: fortio result: DurationHistogram has no requests", name)
	}
	target := -1.0
	if q, err := strconv.ParseFloat(string(f.RequestedQPS), 64); err == nil && q > 0 {
		target = q
	}
	c := results.Case{QPS: target, Connections: int(f.NumThreads), PayloadBytes: len(f.Payload), Protocol: results.ProtocolHTTP1}
	if strings.EqualFold(f.RunType, "GRPC") {
		c.Protocol = results.ProtocolGRPC
	}
	c.Name = plan.CaseName(c)
	r = &results.Result{
		Schema: results.Schema, Scenario: "fortio", ScenarioKind: "foreign", Platform: "foreign",
		Lane: FortioLane, Case: c, Started: f.StartTime, DurationS: time.Duration(f.ActualDuration).Seconds(),
		Labels: map[string]string{"source": name}, Requests: h.Count, TargetQPS: target, AchievedQPS: f.ActualQPS,
		Latency: fortioPercentilesMs(h), Histogram: fortioHistogramMs(h), Valid: true,
	}
	if f.Labels != "" {
		r.Labels["fortio_labels"] = f.Labels
	}
	for k, n := range f.RetCodes {
		code, err := strconv.Atoi(k)
		if err != nil {
			return nil, true, fmt.Errorf("%s: fortio result: RetCodes key %q is not a status code", name, k)
		}
		if code >= 200 && code < 400 {
			continue
		}
		if r.ErrorsByStatus == nil {
			r.ErrorsByStatus = map[string]int64{}
		}
		if code < 0 {
			k = "socket"
		}
		r.ErrorsByStatus[k] += int64(n)
		r.Errors += int64(n)
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

// fortioHistogram is f's DurationHistogram as fortio's own type, so that
// fortio's percentile arithmetic applies. Percentiles written as fractions
// (Nighthawk's default: 0.5 for p50) are scaled to fortio's percents.
func fortioHistogram(f fortioDoc) *stats.HistogramData {
	d := f.DurationHistogram
	if d == nil {
		return nil
	}
	h := &stats.HistogramData{Count: int64(d.Count), Min: d.Min, Max: d.Max, Sum: d.Sum, Avg: d.Avg, StdDev: d.StdDev}
	for _, b := range d.Data {
		h.Data = append(h.Data, stats.Bucket{Interval: stats.Interval{Start: b.Start, End: b.End}, Percent: b.Percent, Count: int64(b.Count)})
	}
	fractions := len(d.Percentiles) > 0
	for _, p := range d.Percentiles {
		fractions = fractions && p.Percentile <= 1
	}
	for _, p := range d.Percentiles {
		if fractions {
			p.Percentile *= 100
		}
		h.Percentiles = append(h.Percentiles, p)
	}
	return h
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
