package telemetry

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics owns the proxy's registry and metric vectors.
type Metrics struct {
	Registry *prometheus.Registry

	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	reqBytes  *prometheus.HistogramVec
	respBytes *prometheus.HistogramVec

	ConnsActive  *prometheus.GaugeVec
	ConnsRefused *prometheus.CounterVec
	ConnsTotal   *prometheus.CounterVec
	// H2Conns counts HTTP/2 downstream connections by the path that served
	// them: "lean" (the default) or "xnet" (x/net/http2's server: the
	// --h2-fast=false fallback, or routes that reach an HTTP/1.1 cluster).
	H2Conns *prometheus.CounterVec
	Retries *prometheus.CounterVec
	// RetriesAbandoned counts requests whose body outgrew the retry
	// buffer, so they are not retried (Envoy's cluster stat
	// retry_or_shadow_abandoned).
	RetriesAbandoned *prometheus.CounterVec
	Overflows        *prometheus.CounterVec
	Ejections        *prometheus.CounterVec
	LocalReplies     *prometheus.CounterVec
	ConfigApply      *prometheus.CounterVec
	// Spans counts exported and dropped trace spans (every exporter).
	Spans SpanCounters
	// noRequests, set before the proxy serves, turns the per-request
	// series (requests, duration, sizes) off: the proxy's own counters stay
	// (Envoy's stats_matcher rejecting Istio's request metrics). Set it
	// with DisableRequestMetrics.
	noRequests bool

	mu     sync.Mutex
	series map[[3]string]*Series
	// local holds pre-resolved local-reply counters: a flood of 429s or
	// 503s must not pay for label hashing per reply.
	local map[string]prometheus.Counter
}

// LocalReplyReasons are the reasons the data path reports.
var LocalReplyReasons = []string{"no_route", "rbac_denied", "rate_limited", "fault_abort", "direct_response",
	"overflow", "no_healthy_upstream", "upstream_timeout", "upstream_connect_failure", "upstream_reset",
	"bad_request", "no_chain", "upstream_protocol_error", "request_header_timeout", "upstream_endpoint_removed",
	"injected",              // inject: --inject-error-fraction (gate validation only)
	"retry_buffer_overflow"} // a retry's request body outgrew the retry buffer during its backoff (Envoy's 507)

// LocalReply counts one locally generated response.
func (m *Metrics) LocalReply(reason string) {
	if c, ok := m.local[reason]; ok {
		c.Inc()
		return
	}
	m.LocalReplies.WithLabelValues(reason).Inc()
}

// NewMetrics registers the proxy's metrics (and Go/process collectors) on a
// new registry.
func NewMetrics() *Metrics {
	labels := []string{"direction", "source", "destination", "code"}
	sizeBuckets := prometheus.ExponentialBuckets(64, 4, 8)
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshproxy_requests_total",
			Help: "HTTP requests completed, by direction, source identity, destination cluster and status code."}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "meshproxy_request_duration_seconds",
			Help:    "Time from request head received to response complete.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}}, labels),
		reqBytes: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "meshproxy_request_bytes",
			Help: "Request body sizes.", Buckets: sizeBuckets}, labels),
		respBytes: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "meshproxy_response_bytes",
			Help: "Response body sizes.", Buckets: sizeBuckets}, labels),
		ConnsActive: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "meshproxy_downstream_connections_active",
			Help: "Open downstream connections by listener."}, []string{"listener"}),
		ConnsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshproxy_downstream_connections_total",
			Help: "Accepted downstream connections by listener."}, []string{"listener"}),
		H2Conns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshproxy_downstream_h2_connections_total",
			Help: "HTTP/2 downstream connections by listener and the path that served them: lean (the default) or xnet (x/net/http2's server)."},
			[]string{"listener", "path"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshproxy_upstream_retries_total",
			Help: "Upstream request retries by cluster."}, []string{"cluster"}),
		RetriesAbandoned: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshproxy_upstream_retries_abandoned_total",
			Help: "Requests not retried because their body outgrew the retry buffer (per_request_buffer_limit_bytes, default 1 MiB), by cluster."}, []string{"cluster"}),
		ConnsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshproxy_downstream_connections_refused_total",
			Help: "Downstream connections closed on accept because the proxy held its maximum, by listener."}, []string{"listener"}),
		Overflows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshproxy_upstream_overflow_total",
			Help: "Requests refused by a circuit breaker, by cluster and breaker."}, []string{"cluster", "breaker"}),
		Ejections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshproxy_outlier_ejections_total",
			Help: "Outlier ejections by cluster."}, []string{"cluster"}),
		LocalReplies: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshproxy_local_replies_total",
			Help: "Responses generated by the proxy, by reason (no_route, rbac_denied, rate_limited, fault_abort, ...)."}, []string{"reason"}),
		ConfigApply: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meshproxy_config_applies_total",
			Help: "Configuration snapshots applied or rejected."}, []string{"result"}),
		series: map[[3]string]*Series{},
	}
	m.local = make(map[string]prometheus.Counter, len(LocalReplyReasons))
	for _, r := range LocalReplyReasons {
		m.local[r] = m.LocalReplies.WithLabelValues(r)
	}
	m.Registry.MustRegister(m.requests, m.duration, m.reqBytes, m.respBytes, m.ConnsActive, m.ConnsRefused, m.ConnsTotal, m.H2Conns,
		m.Retries, m.RetriesAbandoned, m.Overflows, m.Ejections, m.LocalReplies, m.ConfigApply,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "meshproxy_spans_exported_total",
			Help: "Trace spans the OTLP collector accepted."}, func() float64 { return float64(m.Spans.Exported.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "meshproxy_spans_dropped_total",
			Help: "Trace spans dropped: the export queue was full or their batch failed to export."},
			func() float64 { return float64(m.Spans.Dropped.Load()) }))
	return m
}

// RegisterHealthGauge exports a cluster's healthy endpoint count, read at
// scrape time.
func (m *Metrics) RegisterHealthGauge(f func() map[string]float64) {
	m.Registry.MustRegister(&healthCollector{f: f, desc: prometheus.NewDesc("meshproxy_upstream_healthy_endpoints",
		"Endpoints neither failing active health checks nor ejected, by cluster.", []string{"cluster"}, nil)})
}

type healthCollector struct {
	f    func() map[string]float64
	desc *prometheus.Desc
}

func (h *healthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- h.desc }
func (h *healthCollector) Collect(ch chan<- prometheus.Metric) {
	for cluster, v := range h.f() {
		ch <- prometheus.MustNewConstMetric(h.desc, prometheus.GaugeValue, v, cluster)
	}
}

// Series returns the pre-resolved children for one direction, source and
// destination. Callers cache it (per connection and cluster).
func (m *Metrics) Series(direction, source, destination string) *Series {
	k := [3]string{direction, source, destination}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.series[k]
	if s == nil {
		s = &Series{m: m, labels: k}
		m.series[k] = s
	}
	return s
}

// Series records requests for one label set except the code.
type Series struct {
	m      *Metrics
	labels [3]string
	codes  [600]atomic.Pointer[children]
}

type children struct {
	requests                  prometheus.Counter
	duration, reqSz, respSize prometheus.Observer
}

// DisableRequestMetrics turns the per-request series off (meshproxy
// --request-metrics=false); call it before the proxy serves.
func (m *Metrics) DisableRequestMetrics() { m.noRequests = true }

// Observe records one completed request.
func (s *Series) Observe(code int, d time.Duration, reqBytes, respBytes int64) {
	if s.m.noRequests {
		return
	}
	if code < 0 || code >= len(s.codes) {
		code = 0
	}
	c := s.codes[code].Load()
	if c == nil {
		c = s.resolve(code)
	}
	c.requests.Inc()
	c.duration.Observe(d.Seconds())
	c.reqSz.Observe(float64(reqBytes))
	c.respSize.Observe(float64(respBytes))
}

func (s *Series) resolve(code int) *children {
	lv := []string{s.labels[0], s.labels[1], s.labels[2], strconv.Itoa(code)}
	c := &children{requests: s.m.requests.WithLabelValues(lv...), duration: s.m.duration.WithLabelValues(lv...),
		reqSz: s.m.reqBytes.WithLabelValues(lv...), respSize: s.m.respBytes.WithLabelValues(lv...)}
	s.codes[code].Store(c)
	return c
}
