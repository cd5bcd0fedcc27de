package otlpsink

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"sync"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"

	"github.com/meshbench/meshbench/internal/await"
)

// MaxSpans bounds what a Sink keeps (about 64 bytes each): spans beyond it
// are counted as received and Overflow, never stored.
const MaxSpans = 2_000_000

// Span is what the sink keeps of one span.
type Span struct {
	TraceID, SpanID, ParentID string // hex; ParentID "" for a root
	Kind                      tracepb.Span_SpanKind
	// Service is the exporter's resource service.name (the proxy's id).
	Service string
}

// Sink receives OTLP/gRPC trace exports. Its methods are safe for
// concurrent use; Close stops the server.
type Sink struct {
	coltracepb.UnimplementedTraceServiceServer
	ln  net.Listener
	srv *grpc.Server

	mu       sync.Mutex
	spans    []Span
	received int
	requests int
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves.
func Start(addr string) (*Sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("otlp receiver: %w", err)
	}
	s := &Sink{ln: ln, srv: grpc.NewServer()}
	coltracepb.RegisterTraceServiceServer(s.srv, s)
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is where the sink listens (host:port).
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Close stops the server, dropping exports in flight.
func (s *Sink) Close() { s.srv.Stop() }

// Export implements the OTLP TraceService.
func (s *Sink) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	for _, rs := range req.GetResourceSpans() {
		svc := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				svc = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				s.received++
				if len(s.spans) >= MaxSpans {
					continue
				}
				s.spans = append(s.spans, Span{TraceID: hex.EncodeToString(sp.GetTraceId()), SpanID: hex.EncodeToString(sp.GetSpanId()),
					ParentID: hex.EncodeToString(sp.GetParentSpanId()), Kind: sp.GetKind(), Service: svc})
			}
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// Spans returns a copy of the spans kept so far.
func (s *Sink) Spans() []Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Span(nil), s.spans...)
}

// Received counts spans received (kept or not).
func (s *Sink) Received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received
}

// Settle waits until no span has arrived for quiet (longer than the
// proxies' export interval, so their batches are flushed), or max has
// passed, or ctx ends. Call it before Reset so that a warm-up's late spans
// do not land in the next window.
func (s *Sink) Settle(ctx context.Context, quiet, max time.Duration) {
	last, since := s.Received(), time.Now()
	// Not quiet by max, or a cancelled ctx, is no error here (as before):
	// Settle only bounds how long a caller waits for stragglers.
	_ = await.Until(ctx, "spans to stop arriving", 100*time.Millisecond, max, func(context.Context) (bool, string, error) {
		if n := s.Received(); n != last {
			last, since = n, time.Now()
		}
		return time.Since(since) >= quiet, "", nil
	})
}

// Reset forgets every span (between a run's warm-up and measured window).
func (s *Sink) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spans, s.received, s.requests = nil, 0, 0
}

// Check checks the spans kept so far (see the function Check) and counts
// those received but not kept.
func (s *Sink) Check(spansPerTrace int, externalRoots bool) Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := Check(s.spans, spansPerTrace, externalRoots)
	r.Spans, r.Overflow = s.received, s.received-len(s.spans)
	return r
}
