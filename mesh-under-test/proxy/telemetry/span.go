package telemetry

import (
	"sync/atomic"
	"time"
)

// SpanKind is the OTLP span kind of a proxy hop: an outbound (client-side)
// sidecar's span is a client span, an inbound one a server span, as
// Envoy's OpenTelemetry tracer reports them.
type SpanKind uint8

// Span kinds a proxy records.
const (
	KindServer SpanKind = 2 // OTLP SPAN_KIND_SERVER
	KindClient SpanKind = 3 // OTLP SPAN_KIND_CLIENT
)

// Span is one request at one proxy: a value, so recording it costs a copy
// into the exporter's queue and no allocation of its own (the strings are
// the caller's).
type Span struct {
	Hop        Hop
	Kind       SpanKind
	Start, End time.Time
	// Attributes the way Istio's proxies set them.
	Method, Path, Authority, Protocol string
	Status                            int
	Cluster, Upstream                 string
	// Peer is the downstream peer's identity (its SPIFFE id under mTLS).
	Peer string
}

// SpanCounters count what became of the spans a proxy recorded; they are
// exported as meshproxy_spans_{exported,dropped}_total.
type SpanCounters struct {
	Exported atomic.Uint64
	// Dropped: the queue was full (a slow or absent collector) or the
	// batch carrying them failed to export.
	Dropped atomic.Uint64
}
