package resilience

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// Fault kinds.
const (
	KindKill      = "kill"      // SIGKILL a component at `at`, start it again at `until`
	KindAbort     = "abort"     // the mesh's fault filter aborts percent% of requests for the whole run
	KindFlood     = "flood"     // open many idle connections to a listener from `at` to `until`
	KindSlowloris = "slowloris" // many connections that send a request head byte by byte, never finishing it
	KindPause     = "pause"     // SIGSTOP a component at `at` (a hung upstream), SIGCONT at `until`
	KindRotate    = "rotate"    // the proxies ask for certificates of cert_ttl and renew them at half of it, all run long
	KindFail      = "fail"      // one app replica answers status from `at` to `until` (outlier ejection)
	// KindRestart restarts a component gracefully at `at`, as a rolling
	// update would: a new instance started and ready, then the old one
	// stopped gracefully (draining); the fault ends once the old one is
	// gone, at `until` at the earliest.
	KindRestart = "restart"
)

// Components a fault can target (as the local platform names them).
var targets = map[string]bool{"control-plane": true, "meshcontrol": true, "app": true, "server-proxy": true, "client-proxy": true}

// Spec is a resilience scenario's `resilience:` section.
type Spec struct {
	// Bucket is the width of the timeline's buckets (default 250ms).
	Bucket Duration `yaml:"bucket"`
	Faults []Fault  `yaml:"faults"`
	// RecoveryP99Factor: after the faults, a bucket counts as recovered when
	// it has no errors and its p99 is within this factor of the before-fault
	// p99 (default 3); RecoveryP99Floor is added to the bound so that a
	// sub-millisecond p99 is not held to microseconds (default 10ms: on a
	// shared 2-core machine single buckets reach 10-20 ms with no fault).
	RecoveryP99Factor float64  `yaml:"recovery_p99_factor"`
	RecoveryP99Floor  Duration `yaml:"recovery_p99_floor"`
	// RouteTimeout, when set, is the mesh's timeout on the lane's route
	// (policy routes[].rules[].timeout): what bounds a hung upstream.
	RouteTimeout Duration `yaml:"route_timeout"`
	// AppReplicas runs this many replicas of the app (app, app-2, ...) as
	// endpoints of the service, balanced by the client proxy (lane
	// mesh/clientonly): what a fail fault needs.
	AppReplicas int `yaml:"app_replicas"`
	// OutlierDetection is the mesh's outlier detection on the service's
	// cluster (policy destinations[].outlierDetection, Envoy's
	// outlier_detection), configured through meshcontrol for the run.
	OutlierDetection *OutlierDetection `yaml:"outlier_detection"`
	// Retries are the mesh's retries on the lane's route (policy
	// routes[].rules[].retries, Envoy's retry_policy), applied by the
	// calling proxy (client-proxy).
	Retries *Retries `yaml:"retries"`
	// RetryBudget caps the retries in flight at a share of the active
	// requests (policy destinations[].circuitBreaker, Envoy's
	// circuit_breakers.thresholds.retry_budget).
	RetryBudget *RetryBudget `yaml:"retry_budget"`
	Criteria    Criteria     `yaml:"criteria"`
}

// Retries mirrors meshconfig.Retries in the scenario's snake_case.
type Retries struct {
	// Attempts is the number of retries after the first try (Envoy's
	// num_retries).
	Attempts      uint32   `yaml:"attempts"`
	PerTryTimeout Duration `yaml:"per_try_timeout"`
	// On is Envoy's retry_on (default 5xx,reset,connect-failure).
	On string `yaml:"on"`
}

// RetryBudget mirrors Envoy's retry_budget: active retries may not exceed
// max(min_retry_concurrency, percent% of active requests).
type RetryBudget struct {
	Percent             float64 `yaml:"percent"`
	MinRetryConcurrency uint32  `yaml:"min_retry_concurrency"`
}

// OutlierDetection mirrors meshconfig.OutlierDetection in the scenario's
// snake_case.
type OutlierDetection struct {
	Consecutive5xx     uint32   `yaml:"consecutive_5xx"`
	BaseEjectionTime   Duration `yaml:"base_ejection_time"`
	MaxEjectionPercent uint32   `yaml:"max_ejection_percent"`
}

// Fault is one entry of the timeline; times are from the start of the
// measured load phase.
type Fault struct {
	Kind   string   `yaml:"kind"`
	Target string   `yaml:"target"`
	At     Duration `yaml:"at"`
	Until  Duration `yaml:"until"`
	// Percent and Status configure an abort fault.
	Percent float64 `yaml:"percent"`
	Status  int     `yaml:"status"`
	// Connections is how many a flood or slow-loris fault opens.
	Connections int `yaml:"connections"`
	// CertTTL is the certificate lifetime of a rotate fault.
	CertTTL Duration `yaml:"cert_ttl"`
}

// Criteria are the pass criteria; an absent one is not checked.
type Criteria struct {
	MaxErrorsBefore   *int64   `yaml:"max_errors_before"`
	MaxErrorsDuring   *int64   `yaml:"max_errors_during"`
	MaxErrorsAfter    *int64   `yaml:"max_errors_after"`
	MaxErrorRateAfter *float64 `yaml:"max_error_rate_after"`
	// MaxRecovery bounds the time to recover after the last fault ended.
	MaxRecovery *Duration `yaml:"max_recovery"`
	// MaxErrorRecovery bounds the time until requests stop failing after
	// the last fault ended, whatever their latency.
	MaxErrorRecovery *Duration `yaml:"max_error_recovery"`
	// MaxP99During bounds the p99 of the requests during the faults.
	MaxP99During *Duration `yaml:"max_p99_during"`
	// MaxP99RatioDuring bounds the highest bucket p99 during the faults as
	// a multiple of the median bucket p99 before them: on a shared machine
	// whose absolute latency swings with its neighbours, the ratio is what a
	// fault changes. The median, not the highest, before: the highest of a
	// handful of noisy buckets made the verdict on the same spike close to
	// a coin toss (docs/reliability.md).
	MaxP99RatioDuring *float64 `yaml:"max_p99_ratio_during"`
	// AllowedCauses: every error must have one of these causes (an HTTP
	// status such as "503", or "socket").
	AllowedCauses []string `yaml:"allowed_causes"`
	// AbortRateZ: the measured abort rate lies within z standard errors of
	// the configured one (binomial), for an abort fault.
	AbortRateZ *float64 `yaml:"abort_rate_z"`
	// MinCertificatesIssued: meshcontrol's CA signed at least this many
	// workload certificates during the run (a rotate fault rotated).
	MinCertificatesIssued *int64 `yaml:"min_certificates_issued"`
	// MaxRSSMiB bounds a component's peak RSS, by component name.
	MaxRSSMiB map[string]float64 `yaml:"max_rss_mib"`
	// MaxTimeToEject bounds the time from a fail fault's start until the
	// failing replica's last error (the mesh ejected it).
	MaxTimeToEject *Duration `yaml:"max_time_to_eject"`
	// MaxErrorRateAfterEject bounds the error rate from then until the
	// fail fault ends (a fraction).
	MaxErrorRateAfterEject *float64 `yaml:"max_error_rate_after_eject"`
	// MaxRetryRatio bounds the upstream attempts per request at the
	// retrying proxy (client-proxy: (requests + retries) / requests, from
	// its own counters) while a pause fault hangs the upstream: the extra
	// load the retries add.
	MaxRetryRatio *float64 `yaml:"max_retry_ratio"`
}

// Duration is a time.Duration written as "2s".
type Duration struct{ time.Duration }

// UnmarshalYAML parses Go duration syntax.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("invalid duration %q (want Go syntax, e.g. 2s or 250ms)", n.Value)
	}
	if v < 0 {
		return fmt.Errorf("duration %q must not be negative", n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes Go duration syntax.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// DecodeSpec decodes the scenario's `resilience:` map (as the scenario
// package keeps it) strictly, applies defaults and validates against the
// run's duration.
func DecodeSpec(raw map[string]any, duration time.Duration) (Spec, error) {
	var s Spec
	data, err := yaml.Marshal(raw)
	if err != nil {
		return s, fmt.Errorf("resilience spec: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && len(raw) > 0 {
		return s, fmt.Errorf("resilience spec: %w", err)
	}
	s.Normalize()
	return s, s.Validate(duration)
}

// Normalize fills in defaults.
func (s *Spec) Normalize() {
	if s.Bucket.Duration == 0 {
		s.Bucket.Duration = 250 * time.Millisecond
	}
	if s.RecoveryP99Factor == 0 {
		s.RecoveryP99Factor = 3
	}
	if s.RecoveryP99Floor.Duration == 0 {
		s.RecoveryP99Floor.Duration = 10 * time.Millisecond
	}
	for i := range s.Faults {
		f := &s.Faults[i]
		if (f.Kind == KindAbort || f.Kind == KindFail) && f.Status == 0 {
			f.Status = 503
		}
		if (f.Kind == KindFlood || f.Kind == KindSlowloris) && f.Connections == 0 {
			f.Connections = 200
		}
		if f.Target == "meshcontrol" {
			f.Target = "control-plane"
		}
	}
}

// Validate checks the spec; duration is the measured window (0: unknown).
// Errors are written "resilience.field: message".
func (s *Spec) Validate(duration time.Duration) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("resilience.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if s.Bucket.Duration < 10*time.Millisecond || s.Bucket.Duration > 10*time.Second {
		bad("bucket", "%s is outside 10ms..10s", s.Bucket.Duration)
	}
	if len(s.Faults) == 0 {
		bad("faults", "a resilience scenario needs at least one fault")
	}
	if s.RecoveryP99Factor < 1 {
		bad("recovery_p99_factor", "%g must be >= 1", s.RecoveryP99Factor)
	}
	for i, f := range s.Faults {
		field := fmt.Sprintf("faults[%d]", i)
		switch f.Kind {
		case KindAbort:
			if f.Percent <= 0 || f.Percent > 100 {
				bad(field+".percent", "%g is outside (0, 100]", f.Percent)
			}
			if f.Status < 200 || f.Status > 599 {
				bad(field+".status", "%d is not an HTTP status (200..599)", f.Status)
			}
			continue // configured in the mesh: the whole run
		case KindRotate:
			if f.CertTTL.Duration < time.Second || f.CertTTL.Duration > time.Hour {
				bad(field+".cert_ttl", "%s is outside 1s..1h", f.CertTTL.Duration)
			}
			continue // the proxies' flag: the whole run
		case KindFail:
			if !s.replica(f.Target) {
				bad(field+".target", "%q is not one of the app_replicas (%d): app, app-2, ... (a fail fault needs app_replicas >= 2)", f.Target, s.AppReplicas)
			}
			if f.Status < 500 || f.Status > 599 {
				bad(field+".status", "%d is not a 5xx status", f.Status)
			}
		case KindRestart:
			if f.Target != "app" {
				bad(field+".target", "%q: a graceful restart restarts the app", f.Target)
			}
		case KindKill, KindPause, KindFlood, KindSlowloris:
			if !targets[f.Target] {
				bad(field+".target", "%q is not one of control-plane, app, server-proxy, client-proxy", f.Target)
			}
		default:
			bad(field+".kind", "%q is not one of kill, pause, abort, flood, slowloris, rotate, fail, restart", f.Kind)
			continue
		}
		if f.Until.Duration <= f.At.Duration {
			bad(field+".until", "%s must be after at (%s)", f.Until.Duration, f.At.Duration)
		} else if duration > 0 && f.Until.Duration >= duration {
			bad(field+".until", "%s must end before the run does (duration %s), so that recovery is measured", f.Until.Duration, duration)
		}
		if f.At.Duration == 0 {
			bad(field+".at", "must be > 0: the before-fault latency is the recovery's yardstick")
		}
		if (f.Kind == KindFlood || f.Kind == KindSlowloris) && (f.Connections < 1 || f.Connections > 20000) {
			bad(field+".connections", "%d is outside 1..20000", f.Connections)
		}
	}
	if s.AppReplicas < 0 || s.AppReplicas > 16 {
		bad("app_replicas", "%d is outside 0..16", s.AppReplicas)
	}
	if o := s.OutlierDetection; o != nil && o.MaxEjectionPercent > 100 {
		bad("outlier_detection.max_ejection_percent", "%d is outside 0..100", o.MaxEjectionPercent)
	}
	if r := s.Retries; r != nil {
		if r.Attempts < 1 || r.Attempts > 10 {
			bad("retries.attempts", "%d is outside 1..10", r.Attempts)
		}
		if r.PerTryTimeout.Duration > 0 && s.RouteTimeout.Duration > 0 && r.PerTryTimeout.Duration > s.RouteTimeout.Duration {
			bad("retries.per_try_timeout", "%s is longer than route_timeout (%s): no retry could start", r.PerTryTimeout.Duration, s.RouteTimeout.Duration)
		}
		// The proxy's own catalog of the values it honours.
		if _, err := resilience.ParseRetryOn(r.On); err != nil {
			bad("retries.on", "%v", err)
		}
	}
	if b := s.RetryBudget; b != nil {
		if b.Percent <= 0 || b.Percent > 100 {
			bad("retry_budget.percent", "%g is outside (0, 100]", b.Percent)
		}
		if s.Retries == nil {
			bad("retry_budget", "a retry budget needs retries")
		}
	}
	c := s.Criteria
	if c.MaxRetryRatio != nil {
		if *c.MaxRetryRatio < 1 {
			bad("criteria.max_retry_ratio", "%g must be >= 1 (upstream attempts per request)", *c.MaxRetryRatio)
		}
		if s.Retries == nil || s.pause() == nil {
			bad("criteria.max_retry_ratio", "needs retries and a pause fault (it is measured while the upstream hangs)")
		}
	}
	if c.MaxErrorRateAfterEject != nil && (*c.MaxErrorRateAfterEject < 0 || *c.MaxErrorRateAfterEject > 1) {
		bad("criteria.max_error_rate_after_eject", "%g is outside 0..1 (a fraction: 0.01 = 1%%)", *c.MaxErrorRateAfterEject)
	}
	if (c.MaxTimeToEject != nil || c.MaxErrorRateAfterEject != nil) && s.fail() == nil {
		bad("criteria", "max_time_to_eject and max_error_rate_after_eject need a fail fault")
	}
	if c.MaxErrorRateAfter != nil && (*c.MaxErrorRateAfter < 0 || *c.MaxErrorRateAfter > 1) {
		bad("criteria.max_error_rate_after", "%g is outside 0..1 (a fraction: 0.01 = 1%%)", *c.MaxErrorRateAfter)
	}
	if c.MaxP99RatioDuring != nil && *c.MaxP99RatioDuring < 1 {
		bad("criteria.max_p99_ratio_during", "%g must be >= 1 (a multiple of the before-fault median bucket p99)", *c.MaxP99RatioDuring)
	}
	if c.AbortRateZ != nil && *c.AbortRateZ <= 0 {
		bad("criteria.abort_rate_z", "%g must be > 0", *c.AbortRateZ)
	}
	for _, p := range []*int64{c.MaxErrorsBefore, c.MaxErrorsDuring, c.MaxErrorsAfter} {
		if p != nil && *p < 0 {
			bad("criteria", "an error count bound must not be negative")
		}
	}
	for name, v := range c.MaxRSSMiB {
		if !targets[name] {
			bad("criteria.max_rss_mib."+name, "not a component (control-plane, app, server-proxy, client-proxy)")
		} else if v <= 0 {
			bad("criteria.max_rss_mib."+name, "%g must be > 0", v)
		}
	}
	return errors.Join(errs...)
}

// Abort returns the spec's abort fault, or nil.
func (s *Spec) Abort() *Fault {
	for i := range s.Faults {
		if s.Faults[i].Kind == KindAbort {
			return &s.Faults[i]
		}
	}
	return nil
}

// ProxyArgs are the meshproxy flags a spec needs (a rotate fault's
// certificate lifetime), or nil.
func (s *Spec) ProxyArgs() []string {
	for _, f := range s.Faults {
		if f.Kind == KindRotate {
			return []string{"--cert-ttl=" + f.CertTTL.String()}
		}
	}
	return nil
}

// replica reports whether name is one of the spec's app replicas.
func (s *Spec) replica(name string) bool {
	if s.AppReplicas < 2 {
		return false
	}
	if name == "app" {
		return true
	}
	for i := 2; i <= s.AppReplicas; i++ {
		if name == fmt.Sprintf("app-%d", i) {
			return true
		}
	}
	return false
}

// Kills reports whether a kill fault of the spec targets target.
func (s *Spec) Kills(target string) bool {
	for _, f := range s.Faults {
		if f.Kind == KindKill && f.Target == target {
			return true
		}
	}
	return false
}

// Restarts reports whether the spec restarts the app gracefully.
func (s *Spec) Restarts() bool {
	for _, f := range s.Faults {
		if f.Kind == KindRestart {
			return true
		}
	}
	return false
}

// FailStatus is the status a fail fault makes its replica answer, or 0.
func (s *Spec) FailStatus() int {
	if f := s.fail(); f != nil {
		return f.Status
	}
	return 0
}

// fail returns the spec's fail fault, or nil.
func (s *Spec) fail() *Fault {
	for i := range s.Faults {
		if s.Faults[i].Kind == KindFail {
			return &s.Faults[i]
		}
	}
	return nil
}

// pause returns the spec's first pause fault, or nil.
func (s *Spec) pause() *Fault {
	for i := range s.Faults {
		if s.Faults[i].Kind == KindPause {
			return &s.Faults[i]
		}
	}
	return nil
}

// rotate returns the spec's rotate fault, or nil.
func (s *Spec) rotate() *Fault {
	for i := range s.Faults {
		if s.Faults[i].Kind == KindRotate {
			return &s.Faults[i]
		}
	}
	return nil
}
