package telemetry

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// stuckCollector accepts OTLP exports and never answers until released.
type stuckCollector struct {
	coltracepb.UnimplementedTraceServiceServer
	release chan struct{}
}

func (s *stuckCollector) Export(ctx context.Context, _ *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func sampledSpan() *Span {
	tr := Trace{Generate: true, Sampling: 1}
	tr.Traceparent(nil)
	return &Span{Hop: *tr.Hop(), Kind: KindClient, Start: time.Now(), End: time.Now(), Method: "GET", Path: "/", Status: 200}
}

// TestSlowOrDeadCollectorNeverBlocks: with the collector hung (it never
// answers) or absent, Record returns at once; what does not fit the
// bounded queue is dropped and counted, nothing is exported.
func TestSlowOrDeadCollectorNeverBlocks(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	stuck := &stuckCollector{release: make(chan struct{})}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, stuck)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadAddr := dead.Addr().String()
	require.NoError(t, dead.Close())

	for name, addr := range map[string]string{"hung": ln.Addr().String(), "absent": deadAddr} {
		t.Run(name, func(t *testing.T) {
			var c SpanCounters
			e, err := NewExporter(ExporterOptions{Addr: addr, Service: "p", QueueSize: 64, BatchSize: 16,
				Interval: 10 * time.Millisecond, Timeout: time.Hour, Counters: &c})
			require.NoError(t, err)
			s := sampledSpan()
			done := make(chan struct{})
			go func() {
				defer close(done)
				for range 100000 {
					e.Record(s)
				}
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second): // a bound, not a speed: blocked Record never returns
				t.Fatal("Record blocked behind the collector")
			}
			assert.Equal(t, uint64(0), c.Exported.Load())
			// Everything beyond the queue and one batch in flight was dropped.
			assert.GreaterOrEqual(t, c.Dropped.Load(), uint64(100000-64-16))
			if name == "hung" {
				close(stuck.release)
			}
		})
	}
}

// BenchmarkRecordSpan is the hot-path cost of tracing: deciding the
// context (Propagate) for every request, and for a sampled one copying its
// span into the exporter's queue. 0 allocs/op: the proxy's request path
// stays allocation-free with tracing on.
func BenchmarkRecordSpan(b *testing.B) {
	e, err := NewExporter(ExporterOptions{Addr: "127.0.0.1:1", Service: "p", QueueSize: 1})
	require.NoError(b, err)
	defer e.Close()
	tr := Trace{Generate: true, Sampling: 1}
	in := []byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	s := &Span{Kind: KindServer, Method: "GET", Path: "/", Status: 200}
	b.ReportAllocs()
	for b.Loop() {
		tr.Propagate(in, nil, nil, nil)
		s.Hop = *tr.Hop()
		e.Record(s)
	}
}
