package load

import (
	"fmt"
	"time"

	"github.com/meshbench/meshbench/harness/results"
)

// Options of one load phase. Normalize fills defaults.
type Options struct {
	URL          string        `json:"url"`
	QPS          float64       `json:"qps"` // -1: as fast as possible
	Connections  int           `json:"connections"`
	Duration     time.Duration `json:"duration"`
	PayloadBytes int           `json:"payload_bytes"` // request body actually sent (POST) when > 0
	Protocol     string        `json:"protocol"`      // http1 | h2 | grpc | tcp: one of Protocols()
	Timeout      time.Duration `json:"timeout"`
	// Resolution of the histogram in seconds; default 1e-5 (10 us).
	Resolution float64 `json:"resolution"`
	// Jitter de-synchronizes connections (+/-10%); Uniform staggers them.
	Jitter  bool `json:"jitter"`
	Uniform bool `json:"uniform"`
	// StarveLag bounds the load client's own lag: a run whose sent
	// requests left later than this at p99, with their connections free,
	// was starved (default DefaultStarveLag).
	StarveLag time.Duration `json:"starve_lag,omitempty"`
	// BucketWidth, when > 0, adds the phase's timeline to the report:
	// requests, errors by cause and exact p50/p99 per bucket of this width
	// (resilience runs read it against their fault timeline).
	BucketWidth time.Duration `json:"bucket_width,omitempty"`
	// Samples adds every request's raw values to the report, so that the
	// reports of several load clients merge exactly (Merge).
	Samples bool `json:"samples,omitempty"`
	// Wire adds the latency on the loopback wire (harness/wire) beside the
	// client's own, where the platform allows (Linux, root, an HTTP/1.1 or
	// tcp target on loopback); else Report.WireSkipped says why.
	Wire bool `json:"wire,omitempty"`
}

// DefaultResolution is 10 us: fortio's default (1 ms) would make every
// sub-millisecond percentile an interpolation inside one bucket.
const DefaultResolution = 1e-5

// Normalize fills defaults and validates.
func (o *Options) Normalize() error {
	if o.Connections <= 0 {
		o.Connections = 1
	}
	if o.Resolution <= 0 {
		o.Resolution = DefaultResolution
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.StarveLag <= 0 {
		o.StarveLag = DefaultStarveLag
	}
	if o.Protocol == "" {
		o.Protocol = results.ProtocolHTTP1
	}
	if o.QPS == 0 {
		return fmt.Errorf("qps must be > 0 or -1 (max)")
	}
	if o.Duration <= 0 {
		return fmt.Errorf("duration must be > 0")
	}
	if o.Duration > 30*time.Minute {
		return fmt.Errorf("duration %s exceeds the 30m bound of one load phase", o.Duration)
	}
	_, err := runnerFor(o.Protocol)
	return err
}

// Report is what one load phase measured.
type Report struct {
	Requests       int64            `json:"requests"`
	Errors         int64            `json:"errors"`
	ErrorsByStatus map[string]int64 `json:"errors_by_status,omitempty"`
	DurationS      float64          `json:"duration_s"`
	AchievedQPS    float64          `json:"achieved_qps"`
	// Latency is service time (from the actual send), exact percentiles of
	// every request.
	Latency results.Percentiles `json:"latency_ms"`
	// Scheduled is intended time (from the schedule's start of each slot,
	// never-sent slots included), exact; nil in max-QPS mode.
	Scheduled *results.Percentiles `json:"latency_scheduled_ms,omitempty"`
	Schedule  *results.Schedule    `json:"schedule,omitempty"`
	// Histogram is fortio's, kept for plots and export.
	Histogram results.Histogram `json:"histogram"`
	// FellBehind is true when the load client itself was starved (its own
	// lag, StarvedReason says how much): the run is invalid. A slow system
	// under test never sets it: its stalls are in Scheduled.
	FellBehind    bool   `json:"fell_behind"`
	StarvedReason string `json:"starved_reason,omitempty"`
	// Started is when the phase's schedule began (wall clock of the load
	// client's machine), the origin of Buckets' times.
	Started time.Time `json:"started"`
	// Buckets is the timeline, when Options.BucketWidth was set.
	Buckets []results.TimeBucket `json:"buckets,omitempty"`
	// Samples are every request's raw values, when Options.Samples was set.
	Samples *Samples `json:"samples,omitempty"`
	// Wire is the latency between the request's first packet and the
	// response's first packet on loopback (exact percentiles, ms), when
	// Options.Wire was set and the capture could run; WireSkipped says why
	// it could not.
	Wire        *results.Percentiles `json:"latency_wire_ms,omitempty"`
	WireSkipped string               `json:"wire_skipped,omitempty"`
}
