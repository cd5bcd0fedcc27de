package telemetry

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Exporter defaults: what bounds a proxy's tracing memory and how often
// spans leave.
const (
	DefaultQueueSize = 4096
	DefaultBatchSize = 512
	DefaultInterval  = 500 * time.Millisecond
	DefaultTimeout   = 2 * time.Second
)

// ExporterOptions configure an Exporter; zero fields take the defaults.
type ExporterOptions struct {
	// Addr is the OTLP/gRPC collector (host:port, plaintext).
	Addr string
	// Service is the resource's service.name (the proxy's id).
	Service string
	// QueueSize bounds the spans waiting to be sent: beyond it they are
	// dropped and counted, so a slow collector never grows the proxy.
	QueueSize int
	BatchSize int
	// Interval: a partial batch is sent after this long.
	Interval time.Duration
	// Timeout bounds one export call.
	Timeout  time.Duration
	Counters *SpanCounters
	Log      *slog.Logger
}

// Exporter sends spans over OTLP/gRPC from one goroutine, in batches.
// Record never blocks and is safe for concurrent use; Close flushes what is
// queued (within one Timeout) and stops.
//
// Why not the OpenTelemetry SDK: its span (tracer.Start, attributes, End)
// allocates per request on the proxy's allocation-free hot path; here a
// sampled request costs one value copy into a channel and the unsampled
// ones nothing (BenchmarkRecordSpan; docs/proxy.md, Tracing). The wire
// format is OTLP's own protobuf types and gRPC service.
type Exporter struct {
	o      ExporterOptions
	q      chan Span
	conn   *grpc.ClientConn
	client coltracepb.TraceServiceClient
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// NewExporter starts an exporter; the connection is made lazily (gRPC), so
// an absent collector is no error here: its spans are dropped and counted.
func NewExporter(o ExporterOptions) (*Exporter, error) {
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Counters == nil {
		o.Counters = &SpanCounters{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	conn, err := grpc.NewClient(o.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("otlp collector %q: %w", o.Addr, err)
	}
	e := &Exporter{o: o, q: make(chan Span, o.QueueSize), conn: conn, client: coltracepb.NewTraceServiceClient(conn),
		stop: make(chan struct{}), done: make(chan struct{})}
	go e.run()
	return e, nil
}

// Record queues a span, or drops and counts it when the queue is full.
func (e *Exporter) Record(s *Span) {
	select {
	case e.q <- *s:
	default:
		e.o.Counters.Dropped.Add(1)
	}
}

// Close sends what is queued and stops the exporter.
func (e *Exporter) Close() {
	e.once.Do(func() { close(e.stop) })
	<-e.done
	_ = e.conn.Close()
}

func (e *Exporter) run() {
	defer close(e.done)
	batch := make([]Span, 0, e.o.BatchSize)
	tick := time.NewTicker(e.o.Interval)
	defer tick.Stop()
	for {
		select {
		case s := <-e.q:
			batch = append(batch, s)
			if len(batch) < e.o.BatchSize {
				continue
			}
		case <-tick.C:
		case <-e.stop:
			for len(e.q) > 0 && len(batch) < cap(batch)*4 {
				batch = append(batch, <-e.q)
			}
			e.send(batch)
			return
		}
		e.send(batch)
		batch = batch[:0]
	}
}

func (e *Exporter) send(batch []Span) {
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.o.Timeout)
	defer cancel()
	_, err := e.client.Export(ctx, e.request(batch))
	if err != nil {
		e.o.Counters.Dropped.Add(uint64(len(batch)))
		e.o.Log.Debug("span export failed", "collector", e.o.Addr, "spans", len(batch), "err", err)
		return
	}
	e.o.Counters.Exported.Add(uint64(len(batch)))
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func (e *Exporter) request(batch []Span) *coltracepb.ExportTraceServiceRequest {
	spans := make([]*tracepb.Span, 0, len(batch))
	for i := range batch {
		spans = append(spans, e.span(&batch[i]))
	}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
			str("service.name", e.o.Service), str("node_id", e.o.Service)}},
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "meshproxy"}, Spans: spans}},
	}}}
}

// unhex decodes a hex id; nil when it is not hex (Hop ids always are).
func unhex(src []byte) []byte {
	out := make([]byte, len(src)/2)
	if _, err := hex.Decode(out, src); err != nil {
		return nil
	}
	return out
}

func (e *Exporter) span(s *Span) *tracepb.Span {
	p := &tracepb.Span{
		TraceId:           unhex(s.Hop.TraceID[:]),
		SpanId:            unhex(s.Hop.SpanID[:]),
		Kind:              tracepb.Span_SpanKind(s.Kind),
		StartTimeUnixNano: uint64(s.Start.UnixNano()),
		EndTimeUnixNano:   uint64(s.End.UnixNano()),
		Flags:             0x100 | 1, // context has-is-remote known; sampled
	}
	if s.Hop.HasParent {
		if pid := unhex(s.Hop.ParentID[:]); pid != nil && !allZero(pid) {
			p.ParentSpanId = pid
		}
	}
	// Envoy names a proxy's span after the host and path it served.
	p.Name = s.Authority + s.Path
	if i := indexByte(s.Path, '?'); i >= 0 {
		p.Name = s.Authority + s.Path[:i]
	}
	p.Attributes = []*commonpb.KeyValue{
		str("http.method", s.Method), str("http.url", s.Path), str("http.protocol", s.Protocol),
		str("http.status_code", strconv.Itoa(s.Status)), str("upstream_cluster", s.Cluster),
		str("upstream_address", s.Upstream), str("peer.identity", s.Peer), str("component", "proxy"),
		str("node_id", e.o.Service),
	}
	if s.Status >= 500 || s.Status == 0 {
		p.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}
		p.Attributes = append(p.Attributes, &commonpb.KeyValue{Key: "error",
			Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}})
	}
	return p
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
