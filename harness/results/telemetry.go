package results

import "slices"

// The telemetry variant catalog: what a case's `telemetry` may name (a
// scenario's matrix.telemetry). Each variant is one setting of the mesh's
// observability, the way Istio compared its telemetry versions: every
// variant but TelemetryOff turns exactly one feature on, so its cost is
// its difference from TelemetryOff measured in the same run.
const (
	TelemetryOff         = "off"          // no request metrics, no access log, no tracing: the reference
	TelemetryMetrics     = "metrics"      // request metrics (count, duration, sizes per source/destination/code)
	TelemetryLogsSampled = "logs-sampled" // access log of 1% of requests
	TelemetryLogsAll     = "logs-all"     // access log of every request
	TelemetryTracing0    = "tracing-0"    // spans exported over OTLP, 0% of new traces sampled
	TelemetryTracing1    = "tracing-1"    // 1% sampled (Istio's default)
	TelemetryTracing100  = "tracing-100"  // every request traced
)

// TelemetryVariant is what one variant switches on in every proxy.
type TelemetryVariant struct {
	Name, Doc string
	// Metrics: the proxies' per-request metrics.
	Metrics bool
	// AccessLogPercent of requests are access-logged (0: no access log).
	AccessLogPercent float64
	// Tracing: spans are exported to a collector the harness runs, with
	// TracingPercent of new traces sampled.
	Tracing        bool
	TracingPercent float64
}

// TelemetryVariants lists the catalog in its documented order.
func TelemetryVariants() []TelemetryVariant {
	return []TelemetryVariant{
		{Name: TelemetryOff, Doc: "nothing on: the reference every other variant is compared with"},
		{Name: TelemetryMetrics, Doc: "per-request metrics only", Metrics: true},
		{Name: TelemetryLogsSampled, Doc: "access log of 1% of requests only", AccessLogPercent: 1},
		{Name: TelemetryLogsAll, Doc: "access log of every request only", AccessLogPercent: 100},
		{Name: TelemetryTracing0, Doc: "span export on, 0% of new traces sampled", Tracing: true, TracingPercent: 0},
		{Name: TelemetryTracing1, Doc: "span export on, 1% of new traces sampled", Tracing: true, TracingPercent: 1},
		{Name: TelemetryTracing100, Doc: "span export on, every request traced", Tracing: true, TracingPercent: 100},
	}
}

// TelemetryVariantNames lists the catalog's names in order.
func TelemetryVariantNames() []string {
	var out []string
	for _, v := range TelemetryVariants() {
		out = append(out, v.Name)
	}
	return out
}

// LookupTelemetryVariant returns the named variant.
func LookupTelemetryVariant(name string) (TelemetryVariant, bool) {
	i := slices.IndexFunc(TelemetryVariants(), func(v TelemetryVariant) bool { return v.Name == name })
	if i < 0 {
		return TelemetryVariant{}, false
	}
	return TelemetryVariants()[i], true
}

// SpanCheck is what the harness's OTLP receiver saw of a run's measured
// window (tracing variants, and app graphs whose mesh traces).
type SpanCheck struct {
	// SamplingPercent the proxies were configured with.
	SamplingPercent float64 `json:"sampling_percent"`
	// Spans received in the window; Traces among them; Complete traces
	// are one tree of the expected number of spans (SpansPerTrace, 0:
	// any number).
	Spans         int `json:"spans"`
	Traces        int `json:"traces"`
	Complete      int `json:"complete"`
	SpansPerTrace int `json:"spans_per_trace,omitempty"`
	// BrokenLinks counts spans whose parent is not in their trace (0
	// expected); BadRoots traces without exactly one root; Duplicates span
	// ids seen twice.
	BrokenLinks int `json:"broken_links"`
	BadRoots    int `json:"bad_roots"`
	Duplicates  int `json:"duplicates"`
	// ExpectedTraces is the window's requests x sampling; TracesLow..
	// TracesHigh the 99.9% binomial bounds, the upper one counting the load
	// client's untimed first request on each connection; WithinBounds
	// whether Traces fell inside.
	ExpectedTraces float64 `json:"expected_traces"`
	TracesLow      float64 `json:"traces_low"`
	TracesHigh     float64 `json:"traces_high"`
	WithinBounds   bool    `json:"within_bounds"`
	// Problems lists what is wrong (bounds, links, roots), empty when
	// every check held.
	Problems []string `json:"problems,omitempty"`
}
