package telemetry

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// recordingCollector keeps every export's spans (cloned: the exporter
// reuses its messages) and each export's size.
type recordingCollector struct {
	coltracepb.UnimplementedTraceServiceServer
	mu      sync.Mutex
	sizes   []int
	spans   []*tracepb.Span
	service []string
}

func (c *recordingCollector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				c.spans = append(c.spans, proto.Clone(sp).(*tracepb.Span))
				c.service = append(c.service, rs.GetResource().GetAttributes()[0].GetValue().GetStringValue())
				n++
			}
		}
	}
	c.sizes = append(c.sizes, n)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func attrs(sp *tracepb.Span) map[string]string {
	m := map[string]string{}
	for _, kv := range sp.GetAttributes() {
		m[kv.GetKey()] = kv.GetValue().GetStringValue()
		if kv.GetKey() == "error" {
			m["error"] = strconv.FormatBool(kv.GetValue().GetBoolValue())
		}
	}
	return m
}

// variedSpan i: a root or a child (of a caller's span), a success, a 5xx
// or an unanswered request, each with its own path, so a slot reused from
// an earlier span that leaks any field shows.
func variedSpan(i int) Span {
	tr := Trace{Generate: true, Sampling: 1}
	var in []byte
	if i%2 == 1 {
		in = fmt.Appendf(nil, "00-%032x-%016x-01", i+1, i+1)
	}
	tr.Traceparent(in)
	status := []int{200, 503, 0, 404}[i%4]
	return Span{Hop: *tr.Hop(), Kind: KindServer, Start: time.Unix(0, int64(i)), End: time.Unix(0, int64(i)+1000),
		Method: "GET", Path: "/p/" + strconv.Itoa(i) + "?q=1", Authority: "svc", Protocol: "HTTP/1.1", Status: status,
		Cluster: "c" + strconv.Itoa(i%3), Upstream: "u", Peer: "spiffe://x/" + strconv.Itoa(i%5)}
}

// TestExportKeepsEverySpanInBoundedBatches: every recorded span arrives,
// exactly as recorded, although the exporter reuses its OTLP messages batch
// after batch; and no export carries more than DefaultBatchSize spans (the
// bound on the exporter's uninterrupted marshalling, issue 17).
func TestExportKeepsEverySpanInBoundedBatches(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	col := &recordingCollector{}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, col)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()

	const n = 1000
	var c SpanCounters
	e, err := NewExporter(ExporterOptions{Addr: ln.Addr().String(), Service: "proxy-a", Counters: &c})
	require.NoError(t, err)
	want := map[string]Span{}
	for i := range n {
		s := variedSpan(i)
		want[string(s.Hop.SpanID[:])] = s
		e.Record(&s)
	}
	e.Close() // flushes the queue: n fits it
	require.Equal(t, uint64(n), c.Exported.Load(), "dropped %d", c.Dropped.Load())

	col.mu.Lock()
	defer col.mu.Unlock()
	require.Len(t, col.spans, n)
	for _, size := range col.sizes {
		assert.LessOrEqual(t, size, DefaultBatchSize)
	}
	assert.GreaterOrEqual(t, len(col.sizes), n/DefaultBatchSize)
	for k, sp := range col.spans {
		s, ok := want[hex.EncodeToString(sp.GetSpanId())]
		require.True(t, ok, "span %x was never recorded", sp.GetSpanId())
		delete(want, hex.EncodeToString(sp.GetSpanId()))
		assert.Equal(t, "proxy-a", col.service[k])
		assert.Equal(t, string(s.Hop.TraceID[:]), hex.EncodeToString(sp.GetTraceId()))
		if s.Hop.HasParent {
			assert.Equal(t, string(s.Hop.ParentID[:]), hex.EncodeToString(sp.GetParentSpanId()))
		} else {
			assert.Empty(t, sp.GetParentSpanId(), "a root span has no parent")
		}
		assert.Equal(t, "svc"+s.Path[:len(s.Path)-4], sp.GetName())
		assert.Equal(t, uint64(s.Start.UnixNano()), sp.GetStartTimeUnixNano())
		a := attrs(sp)
		assert.Equal(t, s.Path, a["http.url"])
		assert.Equal(t, strconv.Itoa(s.Status), a["http.status_code"])
		assert.Equal(t, s.Cluster, a["upstream_cluster"])
		assert.Equal(t, s.Peer, a["peer.identity"])
		assert.Equal(t, "proxy-a", a["node_id"])
		failed := s.Status >= 500 || s.Status == 0
		assert.Equal(t, failed, a["error"] == "true", "error attribute of status %d", s.Status)
		assert.Equal(t, failed, sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR)
		assert.Len(t, sp.GetAttributes(), nAttrs+map[bool]int{true: 1}[failed])
	}
	assert.Empty(t, want, "recorded spans that never arrived")
}

// TestEncodeAllocatesNothingInSteadyState: once its slots exist, encoding
// a batch allocates nothing (the old exporter built ~35 objects per span at
// send time, a GC burst every batch).
func TestEncodeAllocatesNothingInSteadyState(t *testing.T) {
	s := benchSpan()
	enc := newEncoder("p", DefaultBatchSize)
	batch := func() {
		for range DefaultBatchSize {
			enc.add(&s)
		}
		_ = enc.request()
		enc.reset()
	}
	batch()
	assert.Zero(t, testing.AllocsPerRun(20, batch))
}

func benchSpan() Span {
	tr := Trace{Generate: true, Sampling: 1}
	tr.Traceparent([]byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
	return Span{Hop: *tr.Hop(), Kind: KindServer, Start: time.Now(), End: time.Now(), Method: "GET", Path: "/echo?size=1024",
		Authority: "server.mesh:8080", Protocol: "HTTP/1.1", Status: 200, Cluster: "outbound|8080||server", Upstream: "127.0.0.1:9000",
		Peer: "spiffe://cluster.local/ns/default/sa/client"}
}

// BenchmarkEncodeBatch: the exporter's work per batch of DefaultBatchSize
// spans, encoding and marshalling (what runs on the exporter's goroutine
// before gRPC blocks on the network). 1 alloc/op: the marshalled bytes.
func BenchmarkEncodeBatch(b *testing.B) {
	s := benchSpan()
	enc := newEncoder("client-proxy", DefaultBatchSize)
	b.ReportAllocs()
	for b.Loop() {
		for range DefaultBatchSize {
			enc.add(&s)
		}
		if _, err := enc.marshal(); err != nil {
			b.Fatal(err)
		}
		enc.reset()
	}
}

// TestMarshalIsTheCollectorsRequest: the hand-framed export request is the
// generated ExportTraceServiceRequest's encoding, byte for byte.
func TestMarshalIsTheCollectorsRequest(t *testing.T) {
	enc := newEncoder("client-proxy", 4)
	for range 3 {
		s := benchSpan()
		enc.add(&s)
	}
	got, err := enc.marshal()
	require.NoError(t, err)
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{enc.request()}})
	require.NoError(t, err)
	back := &coltracepb.ExportTraceServiceRequest{}
	require.NoError(t, proto.Unmarshal(got, back))
	assert.Len(t, back.GetResourceSpans(), 1)
	assert.Len(t, back.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans(), 3)
	assert.Equal(t, want, got)
}
