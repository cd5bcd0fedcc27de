package results

import "fmt"

// GraphEdge is one caller -> callee edge of a service graph: the calls the
// caller made, and what the topology predicts for the requests the entry
// service received.
type GraphEdge struct {
	From     string  `json:"from"`
	To       string  `json:"to"`
	Calls    int64   `json:"calls"`
	Expected float64 `json:"expected"`
	// Tolerance is the largest |Calls-Expected| accepted.
	Tolerance float64 `json:"tolerance"`
	OK        bool    `json:"ok"`
	// Hop is the edge's latency as the mesh's sidecars recorded it over the
	// measured window; set in lanes whose services have sidecars.
	Hop *HopLatency `json:"hop,omitempty"`
}

// HopLatency is one service-graph edge's latency from the proxies' request
// duration histograms (the difference of two scrapes around the measured
// window).
type HopLatency struct {
	// Requests the caller's sidecar sent on the edge.
	Requests int64 `json:"requests"`
	// MeanMs, P50Ms, P90Ms, P99Ms: the caller's sidecar, outbound, from the
	// request head received from its app to the response complete (the
	// mean is exact; percentiles are interpolated within the histogram's
	// buckets, as Prometheus's histogram_quantile does).
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
	P90Ms  float64 `json:"p90_ms"`
	P99Ms  float64 `json:"p99_ms"`
	// CalleeMeanMs is the callee's sidecar, inbound, over all its requests:
	// the callee's own time (its app and the calls it makes) as its
	// sidecar sees it.
	CalleeMeanMs float64 `json:"callee_mean_ms"`
	// HopMeanMs is MeanMs - CalleeMeanMs: the time a call spends between
	// the two sidecars' measurements, the latency the hop itself adds
	// (the caller's sidecar, the connection, the callee's sidecar up to
	// its own clock).
	HopMeanMs float64 `json:"hop_mean_ms"`
}

// String is "from -> to: N calls (expected E ± T)".
func (e GraphEdge) String() string {
	return fmt.Sprintf("%s -> %s: %d calls (expected %.0f ± %.0f)", e.From, e.To, e.Calls, e.Expected, e.Tolerance)
}
