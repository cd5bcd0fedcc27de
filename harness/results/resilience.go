package results

// TimeBucket is one slice of a load phase's timeline: the requests that
// started inside [StartS, StartS+width), from the phase's start.
type TimeBucket struct {
	StartS   float64 `json:"start_s"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	// ErrorsByCause counts the bucket's failed requests by cause: an HTTP
	// status ("503"), "socket" for a connection failure, a gRPC or TCP error.
	ErrorsByCause map[string]int64 `json:"errors_by_cause,omitempty"`
	// P50Ms and P99Ms are exact over the bucket's requests (service time);
	// 0 when the bucket has none.
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
}

// Resilience is the record of a resilience run: load for a fixed time
// while a fault timeline is applied, judged by the scenario's criteria.
// Times are seconds from the start of the measured load phase.
type Resilience struct {
	Faults   []FaultEvent `json:"faults"`
	BucketMs float64      `json:"bucket_ms"`
	Buckets  []TimeBucket `json:"buckets"`
	// Before, During and After split the requests by when they started:
	// before the first fault, between the first fault's start and the last
	// fault's end, after that.
	Before PhaseStats `json:"before"`
	During PhaseStats `json:"during"`
	After  PhaseStats `json:"after"`
	// RecoveryS is the time from the end of the last fault to the start of
	// the first bucket from which every bucket has no errors and a p99
	// within the recovery bound of the before-fault p99; nil when the run
	// never recovered.
	RecoveryS *float64 `json:"recovery_s,omitempty"`
	// ErrorRecoveryS is the same with errors alone (no latency bound): when
	// the data path answered every request again, whatever its latency.
	ErrorRecoveryS *float64 `json:"error_recovery_s,omitempty"`
	// Injected is what a fault-injection scenario measured against what the
	// mesh was configured with; nil otherwise.
	Injected *InjectedRate `json:"injected,omitempty"`
	// PeakRSSBytes is the highest RSS each measured component reached
	// (by component name).
	PeakRSSBytes map[string]int64 `json:"peak_rss_bytes,omitempty"`
	// CertificatesIssued is how many workload certificates meshcontrol's CA
	// signed during the measured load, for a certificate-rotation fault.
	CertificatesIssued int64 `json:"certificates_issued,omitempty"`
	// Ejection is a fail fault's measurement; nil otherwise.
	Ejection *Ejection `json:"ejection,omitempty"`
	// Retries is the extra load the mesh's retries put on the upstream,
	// from the retrying proxy's own counters while a pause (hung upstream)
	// or fail (a failing replica) fault lasted, for a scenario with
	// retries; nil otherwise.
	Retries  *RetryLoad  `json:"retries,omitempty"`
	Criteria []Criterion `json:"criteria"`
	// Passed is true when every criterion held.
	Passed bool `json:"passed"`
}

// FaultEvent is one fault of the timeline, as applied.
type FaultEvent struct {
	Kind   string  `json:"kind"`   // kill, abort, flood, slowloris
	Target string  `json:"target"` // a component (control-plane, app, server-proxy) or listener
	BeganS float64 `json:"began_s"`
	EndedS float64 `json:"ended_s"`
	// Detail says what was done (pids, connections opened, restart time).
	Detail string `json:"detail,omitempty"`
}

// PhaseStats are the requests of one phase of a resilience run.
type PhaseStats struct {
	Requests  int64            `json:"requests"`
	Errors    int64            `json:"errors"`
	ErrorRate float64          `json:"error_rate"`
	ByCause   map[string]int64 `json:"errors_by_cause,omitempty"`
	P50Ms     float64          `json:"p50_ms"`
	P99Ms     float64          `json:"p99_ms"`
	// P99MedianMs is the median of the phase's bucket p99s: its typical
	// p99, which one noisy bucket cannot move (P99Ms is the highest).
	P99MedianMs float64 `json:"p99_median_ms,omitempty"`
}

// InjectedRate compares a measured abort rate with the configured one.
type InjectedRate struct {
	ConfiguredPct float64 `json:"configured_pct"`
	MeasuredPct   float64 `json:"measured_pct"`
	// LowPct and HighPct bound the measured rate: the configured rate's
	// binomial interval at the scenario's z for this many requests.
	LowPct  float64 `json:"low_pct"`
	HighPct float64 `json:"high_pct"`
}

// Criterion is one pass criterion of a resilience scenario and whether it
// held.
type Criterion struct {
	Name     string  `json:"name"`
	Limit    float64 `json:"limit"`
	Measured float64 `json:"measured"`
	Held     bool    `json:"held"`
	Detail   string  `json:"detail,omitempty"`
}

// Ejection is what a fail fault (one app replica answering 5xx) measured:
// how soon the mesh's outlier detection stopped sending to the failing
// replica, and what failed from then until the fault ended.
type Ejection struct {
	Target string `json:"target"`
	Status int    `json:"status"`
	// Ejected is false when the replica's errors went on until the fault
	// ended.
	Ejected bool `json:"ejected"`
	// TimeToEjectS is from the fault's start to the end of the last bucket
	// within the fault holding an error of its status (a bucket's
	// resolution).
	TimeToEjectS        float64 `json:"time_to_eject_s"`
	ErrorsToEject       int64   `json:"errors_to_eject"`
	RequestsAfterEject  int64   `json:"requests_after_eject"`
	ErrorsAfterEject    int64   `json:"errors_after_eject"`
	ErrorRateAfterEject float64 `json:"error_rate_after_eject"`
}

// RetryLoad is what the retrying proxy's counters measured between two
// reads, inside a pause fault (from just before a fail fault): how many requests it
// completed, how many retries it made, and so the upstream attempts per
// request, (requests + retries) / requests.
type RetryLoad struct {
	Proxy              string  `json:"proxy"`
	WindowS            float64 `json:"window_s"`
	Requests           int64   `json:"requests"`
	Retries            int64   `json:"retries"`
	AttemptsPerRequest float64 `json:"attempts_per_request"`
}
