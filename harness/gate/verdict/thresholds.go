package verdict

import (
	"errors"
	"fmt"
)

// Default thresholds and rule parameters (shared/GATE.md).
const (
	DefaultAlpha         = 0.01
	DefaultConfidence    = 0.95
	DefaultCPUPerRequest = 0.03
	DefaultP50           = 0.05
	DefaultP90           = 0.05
	DefaultP99           = 0.10
	DefaultRSS           = 0.05
	DefaultRSSAbsBytes   = 2 << 20
	DefaultRounds        = 15
	DefaultExtension     = 15
	DefaultBehind        = 0.10
	// DefaultErrorRate is absolute: 0.001 errors per request (0.1
	// percentage points) more than the base.
	DefaultErrorRate = 0.001
	// DefaultReferenceBound: a machine-speed reference that moved at least
	// 2% (with an interval excluding 0) voids the adjusted verdicts.
	DefaultReferenceBound = 0.02
)

// Reference components for the machine-speed adjustment (Thresholds.Reference).
const (
	RefApp     = "app"
	RefLoadgen = "loadgen"
	RefNone    = "none"
)

// Thresholds are the per-scenario gate settings. A relative threshold is the
// smallest slowdown that counts as a regression (0.05 = 5%). Zero means "use
// the default"; -1 makes the metric report-only (thresholds lie in 0..1). P999 is
// report-only unless set, until its measured minimum detectable effect is
// small enough to gate (docs/gate.md).
type Thresholds struct {
	CPUPerRequest float64 `yaml:"cpu_per_request,omitempty" json:"cpu_per_request,omitempty"`
	P50           float64 `yaml:"p50,omitempty" json:"p50,omitempty"`
	P90           float64 `yaml:"p90,omitempty" json:"p90,omitempty"`
	P99           float64 `yaml:"p99,omitempty" json:"p99,omitempty"`
	P999          float64 `yaml:"p999,omitempty" json:"p999,omitempty"`
	RSS           float64 `yaml:"rss,omitempty" json:"rss,omitempty"`
	// RSSAbsBytes is an absolute floor for the RSS threshold: the RSS
	// threshold is max(RSS, RSSAbsBytes / base median).
	RSSAbsBytes int64 `yaml:"rss_abs_bytes,omitempty" json:"rss_abs_bytes,omitempty"`
	// Micro applies to every metric of a Go micro benchmark (sec/op, B/op,
	// allocs/op); defaults to CPUPerRequest.
	Micro float64 `yaml:"micro,omitempty" json:"micro,omitempty"`

	// Alpha is the family-wise error rate over all gated metrics and both
	// looks.
	Alpha float64 `yaml:"alpha,omitempty" json:"alpha,omitempty"`
	// Confidence is the level of the two-sided intervals in the table; PASS
	// needs the upper bound of the slowdown's interval below threshold.
	Confidence float64 `yaml:"confidence,omitempty" json:"confidence,omitempty"`
	// Rounds is K: each round runs base and candidate once, in a seeded
	// random order.
	Rounds int `yaml:"rounds,omitempty" json:"rounds,omitempty"`
	// BehindTolerance: a run marked invalid only because the load generator
	// fell behind its schedule still counts as evidence if it achieved at
	// least (1 - BehindTolerance) of its target rate. Base and candidate
	// are interleaved in random order, so contention that slows the load
	// generator adds noise, not bias; voiding every run 2% behind voided
	// over half the rounds on the shared 2-vCPU VM. -1: void them all.
	BehindTolerance float64 `yaml:"behind_tolerance,omitempty" json:"behind_tolerance,omitempty"`
	// Reference is the role of a component whose CPU per request, measured
	// in the same run, adjusts the gated CPU and latency metrics for the
	// machine's speed during that run ("app": the harness's echo server,
	// the same code on both sides). On a shared VM every process's cost per
	// request and the latency rise and fall together from run to run (the
	// proxies' CPU per request correlated 0.90-0.98 with the app's over 752
	// gate runs); dividing by the reference removes most of that spread
	// without touching a change in the proxies. Empty: no adjustment.
	Reference string `yaml:"reference,omitempty" json:"reference,omitempty"`
	// ErrorRate is the rise of the error rate (errors per request, an
	// absolute difference: 0.001 = 0.1 percentage points) that counts as a
	// regression. A run the candidate failed counts as error rate 1.
	ErrorRate float64 `yaml:"error_rate,omitempty" json:"error_rate,omitempty"`
	// ReferenceBound: when the reference's CPU per request moved between
	// the sides by at least this much, with an interval that excludes 0,
	// the adjusted rows of its group are INCONCLUSIVE (the adjustment
	// would carry the shift).
	ReferenceBound float64 `yaml:"reference_bound,omitempty" json:"reference_bound,omitempty"`
	// Extension is the number of extra rounds of the one pre-declared
	// extension on INCONCLUSIVE; negative disables it (and stays negative
	// through Normalize, which is idempotent).
	Extension int `yaml:"extension,omitempty" json:"extension,omitempty"`
}

// Normalize fills defaults and checks ranges.
func (t Thresholds) Normalize() (Thresholds, error) {
	// Fractions are checked as written: a default (or micro's copy of
	// cpu_per_request) must not be blamed on a field the scenario left out.
	fracErr := t.checkFractions()
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&t.CPUPerRequest, DefaultCPUPerRequest)
	def(&t.P50, DefaultP50)
	def(&t.P90, DefaultP90)
	def(&t.P99, DefaultP99)
	def(&t.RSS, DefaultRSS)
	def(&t.Micro, t.CPUPerRequest)
	def(&t.Alpha, DefaultAlpha)
	def(&t.Confidence, DefaultConfidence)
	def(&t.BehindTolerance, DefaultBehind)
	def(&t.ErrorRate, DefaultErrorRate)
	def(&t.ReferenceBound, DefaultReferenceBound)
	if t.P999 == 0 {
		t.P999 = -1
	}
	if t.RSSAbsBytes == 0 {
		t.RSSAbsBytes = DefaultRSSAbsBytes
	}
	if t.Rounds == 0 {
		t.Rounds = DefaultRounds
	}
	if t.Extension == 0 {
		t.Extension = DefaultExtension
	}
	if t.Reference == RefNone {
		t.Reference = ""
	}
	return t, errors.Join(fracErr, t.checkRest())
}

// gateError names a field as the scenario writes it ("gate.p99: ...").
func gateError(field, format string, args ...any) error {
	return fmt.Errorf("gate.%s: %s", field, fmt.Sprintf(format, args...))
}

// checkFractions returns every relative threshold outside 0..1, joined.
func (t Thresholds) checkFractions() error {
	var errs []error
	// A threshold is a fraction of the base (0.10 = 10%). A value above 1 is
	// nearly always a percentage written as a number (p99: 7 meant 7%): as
	// a fraction it asks for an 8x slowdown, so the metric would practically
	// never FAIL. -1 is the one negative: report-only.
	const threshold = "a fraction of the base: 0.10 = 10%; -1 = report-only"
	for _, f := range []struct {
		name string
		v    float64
		hint string
	}{{"cpu_per_request", t.CPUPerRequest, threshold}, {"p50", t.P50, threshold}, {"p90", t.P90, threshold},
		{"p99", t.P99, threshold}, {"p999", t.P999, threshold}, {"rss", t.RSS, threshold}, {"micro", t.Micro, threshold},
		{"behind_tolerance", t.BehindTolerance, "a fraction of the target rate; -1 = void every run that fell behind"},
		{"error_rate", t.ErrorRate, "errors per request, absolute: 0.001 = 0.1 percentage points; -1 = report-only"},
		{"reference_bound", t.ReferenceBound, "a fraction of the reference's CPU per request: 0.02 = 2%"}} {
		if f.v != -1 && (f.v < 0 || f.v > 1) {
			errs = append(errs, gateError(f.name, "%v is outside 0..1 (%s)", f.v, f.hint))
		}
	}
	return errors.Join(errs...)
}

// checkRest returns every other out-of-range setting, joined.
func (t Thresholds) checkRest() error {
	var errs []error
	bad := func(field, format string, args ...any) { errs = append(errs, gateError(field, format, args...)) }
	if t.RSSAbsBytes < 0 {
		bad("rss_abs_bytes", "%d must not be negative", t.RSSAbsBytes)
	}
	if t.Alpha <= 0 || t.Alpha >= 0.5 {
		bad("alpha", "%v is outside (0, 0.5)", t.Alpha)
	}
	if t.Confidence <= 0.5 || t.Confidence >= 1 {
		bad("confidence", "%v is outside (0.5, 1)", t.Confidence)
	}
	switch t.Reference {
	case "", RefApp, RefLoadgen:
	default:
		bad("reference", "%q: want %q or %q (a component that is the same code in base and candidate), or %q", t.Reference, RefApp, RefLoadgen, RefNone)
	}
	if t.Rounds < 3 {
		bad("rounds", "%d is below the minimum of 3", t.Rounds)
	}
	return errors.Join(errs...)
}

// LookAlpha is the family-wise alpha spent at look 1 or 2. With an
// extension declared each look gets half; without one, look 1 gets it all.
func (t Thresholds) LookAlpha(look int) float64 {
	if t.Extension <= 0 {
		return t.Alpha
	}
	_ = look // both looks spend alpha/2
	return t.Alpha / 2
}
