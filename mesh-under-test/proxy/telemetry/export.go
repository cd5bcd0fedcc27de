package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
)

// exportMethod is OTLP/gRPC's trace export.
const exportMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

// Exporter defaults: what bounds a proxy's tracing memory and how often
// spans leave.
const (
	DefaultQueueSize = 4096
	// DefaultBatchSize bounds one export: its marshalling runs on the
	// exporter's goroutine without a yield, so it is kept small (64 spans,
	// about 20 KB) rather than large (512 made a multi-millisecond burst
	// on a one-P proxy; issue 17).
	DefaultBatchSize = 64
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
// queued (within one Timeout in all) and stops.
//
// Why not the OpenTelemetry SDK: its span (tracer.Start, attributes, End)
// allocates per request on the proxy's allocation-free hot path; here a
// sampled request costs one value copy into a channel and the unsampled
// ones nothing (BenchmarkRecordSpan; docs/proxy.md, Tracing). The wire
// format is OTLP's own protobuf types and gRPC service.
type Exporter struct {
	o    ExporterOptions
	q    chan Span
	conn *grpcwire.Conn
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewExporter starts an exporter; the connection is made lazily, so
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
	conn, err := grpcwire.New(grpcwire.Options{Addr: o.Addr, UserAgent: "meshproxy", DialTimeout: o.Timeout})
	if err != nil {
		return nil, fmt.Errorf("otlp collector %q: %w", o.Addr, err)
	}
	e := &Exporter{o: o, q: make(chan Span, o.QueueSize), conn: conn,
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

// yieldEvery: while draining a backlog (the queue fills while an export
// is in flight), the exporter yields the processor after this many spans,
// so with GOMAXPROCS=1 a request goroutine waits at most that much
// encoding (microseconds) for the P, never a whole batch.
const yieldEvery = 16

// run encodes each span as it is dequeued, into the encoder's reused
// slots: the work is spread over the interval instead of done for the
// whole batch at send time, and in steady state allocates nothing.
func (e *Exporter) run() {
	defer close(e.done)
	enc := newEncoder(e.o.Service, e.o.BatchSize)
	tick := time.NewTicker(e.o.Interval)
	defer tick.Stop()
	n := 0
	for {
		select {
		case s := <-e.q:
			enc.add(&s)
			if n++; n%yieldEvery == 0 {
				runtime.Gosched()
			}
			if enc.Len() < e.o.BatchSize {
				continue
			}
		case <-tick.C:
		case <-e.stop:
			e.flush(enc)
			return
		}
		e.send(context.Background(), enc)
	}
}

// flush sends everything queued, batch by batch, within one Timeout in
// all; what is left when it expires is dropped and counted.
func (e *Exporter) flush(enc *encoder) {
	ctx, cancel := context.WithTimeout(context.Background(), e.o.Timeout)
	defer cancel()
	for len(e.q) > 0 && ctx.Err() == nil {
		s := <-e.q
		enc.add(&s)
		if enc.Len() == e.o.BatchSize {
			e.send(ctx, enc)
		}
	}
	e.send(ctx, enc)
	e.o.Counters.Dropped.Add(uint64(len(e.q)))
}

// send exports the encoded batch (one gRPC call: marshalling is bounded
// by BatchSize) and resets the encoder.
func (e *Exporter) send(ctx context.Context, enc *encoder) {
	n := enc.Len()
	if n == 0 {
		return
	}
	defer enc.reset()
	ctx, cancel := context.WithTimeout(ctx, e.o.Timeout)
	defer cancel()
	req, err := enc.marshal()
	if err == nil {
		// The response (ExportTraceServiceResponse's partial_success) is
		// not read: a rejected span is not retried either way.
		_, err = e.conn.Invoke(ctx, exportMethod, "", req)
	}
	if err != nil {
		e.o.Counters.Dropped.Add(uint64(n))
		e.o.Log.Debug("span export failed", "collector", e.o.Addr, "spans", n, "err", err)
		return
	}
	e.o.Counters.Exported.Add(uint64(n))
}
