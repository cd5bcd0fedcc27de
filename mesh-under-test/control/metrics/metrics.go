package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the control plane's collectors. All methods are safe for
// concurrent use.
type Metrics struct {
	Pushes             *prometheus.CounterVec // xDS responses sent, by type
	PushBytes          *prometheus.CounterVec // encoded bytes of those responses, by type
	PushDuration       prometheus.Histogram   // translate + snapshot update of one change
	ConnectedProxies   prometheus.Gauge
	Nacks              *prometheus.CounterVec // by type
	Convergence        prometheus.Histogram   // change observed -> every affected proxy ACKed
	ConvergenceSummary prometheus.Summary     // same, as p50/p90/p99 over the last 10 minutes
	ConvergenceTimeout prometheus.Counter     // changes some proxy never ACKed within the deadline
	ChangesRejected    prometheus.Counter     // changes some affected proxy NACKed: they never converge
	Changes            prometheus.Counter     // registry or policy changes translated
	CertsIssued        prometheus.Counter
	CertErrors         prometheus.Counter
}

// New creates the collectors and registers them on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshcontrol_xds_pushes_total", Help: "xDS responses sent to proxies, by type URL.",
		}, []string{"type"}),
		PushBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshcontrol_xds_push_bytes_total", Help: "Encoded size of the xDS responses sent, by type URL.",
		}, []string{"type"}),
		PushDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "meshcontrol_push_duration_seconds", Help: "Time to translate one change and update every proxy's snapshot.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		ConnectedProxies: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "meshcontrol_connected_proxies", Help: "Proxies with an open ADS stream.",
		}),
		Nacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshcontrol_xds_nacks_total", Help: "xDS responses rejected by proxies, by type URL.",
		}, []string{"type"}),
		Convergence: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "meshcontrol_convergence_seconds",
			Help:    "Time from a registry or policy change until every affected, connected proxy ACKed it.",
			Buckets: prometheus.ExponentialBuckets(0.001, 1.5, 24),
		}),
		ConvergenceSummary: prometheus.NewSummary(prometheus.SummaryOpts{
			Name:       "meshcontrol_convergence_quantile_seconds",
			Help:       "Convergence time quantiles over the last 10 minutes.",
			Objectives: map[float64]float64{0.5: 0.01, 0.9: 0.005, 0.99: 0.001},
			MaxAge:     10 * time.Minute,
		}),
		ConvergenceTimeout: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "meshcontrol_convergence_timeouts_total", Help: "Changes that some affected proxy neither ACKed nor NACKed within the deadline.",
		}),
		ChangesRejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "meshcontrol_changes_rejected_total", Help: "Changes that some affected proxy NACKed; they are not counted as converged, even once a later change is ACKed.",
		}),
		Changes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "meshcontrol_changes_total", Help: "Registry or policy changes translated and pushed.",
		}),
		CertsIssued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "meshcontrol_ca_certificates_issued_total", Help: "Workload certificates signed.",
		}),
		CertErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "meshcontrol_ca_errors_total", Help: "Certificate requests refused or failed.",
		}),
	}
	reg.MustRegister(m.Pushes, m.PushBytes, m.PushDuration, m.ConnectedProxies, m.Nacks, m.Convergence,
		m.ConvergenceSummary, m.ConvergenceTimeout, m.ChangesRejected, m.Changes, m.CertsIssued, m.CertErrors)
	return m
}

// ObserveConvergence records one converged change.
func (m *Metrics) ObserveConvergence(d time.Duration) {
	m.Convergence.Observe(d.Seconds())
	m.ConvergenceSummary.Observe(d.Seconds())
}
