package telemetry

import (
	"encoding/hex"
	"strconv"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The attributes every span carries, in order (http.status_code's value is
// cached per status; node_id is the exporter's constant).
var spanAttrKeys = [nAttrs]string{attrMethod: "http.method", attrURL: "http.url", attrProtocol: "http.protocol",
	attrStatus: "http.status_code", attrCluster: "upstream_cluster", attrUpstream: "upstream_address",
	attrPeer: "peer.identity", attrComponent: "component", attrNodeID: "node_id"}

// Indexes into spanAttrKeys and a slot's vals.
const (
	attrMethod = iota
	attrURL
	attrProtocol
	attrStatus
	attrCluster
	attrUpstream
	attrPeer
	attrComponent
	attrNodeID
	nAttrs
)

// slot is one preallocated OTLP span, reused batch after batch: encoding a
// span overwrites its fields in place, so a proxy exporting every request
// allocates (almost) nothing in steady state. Before, each span built ~40
// small objects at send time, 512 at once: on a proxy with GOMAXPROCS=1 the
// exporter held the only P for milliseconds and its garbage drove GC
// cycles, which is where tracing's p99 cost came from (issue 17).
type slot struct {
	pb    tracepb.Span
	vals  [nAttrs]commonpb.AnyValue_StringValue
	attrs []*commonpb.KeyValue // nAttrs, then "error" when set
	ids   [32]byte             // trace id, span id, parent span id
	err   commonpb.KeyValue
	errSt tracepb.Status
	// name cache: the span name is Authority+Path without the query.
	auth, path, nm string
}

func newSlot(node string) *slot {
	s := &slot{attrs: make([]*commonpb.KeyValue, nAttrs, nAttrs+1)}
	for i, k := range spanAttrKeys {
		s.attrs[i] = &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &s.vals[i]}}
	}
	s.vals[attrComponent].StringValue = "proxy"
	s.vals[attrNodeID].StringValue = node
	s.err = commonpb.KeyValue{Key: "error", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}}
	s.errSt = tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}
	return s
}

// encoder turns Spans into one reusable OTLP export request. Not safe for
// concurrent use: only the exporter's goroutine touches it.
type encoder struct {
	node   string
	slots  []*slot
	spans  []*tracepb.Span
	rs     *tracepb.ResourceSpans
	scope  *tracepb.ScopeSpans
	status map[int]string // http.status_code strings, cached
}

func newEncoder(service string, batch int) *encoder {
	e := &encoder{node: service, spans: make([]*tracepb.Span, 0, batch), status: map[int]string{}}
	e.scope = &tracepb.ScopeSpans{Scope: &commonpb.InstrumentationScope{Name: "meshproxy"}}
	e.rs = &tracepb.ResourceSpans{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
			str("service.name", service), str("node_id", service)}},
		ScopeSpans: []*tracepb.ScopeSpans{e.scope},
	}
	return e
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// Len is the number of spans encoded since the last reset.
func (e *encoder) Len() int { return len(e.spans) }

// reset empties the batch; the slots stay for the next one. Call it only
// after the export that carried them returned (gRPC has marshalled them).
func (e *encoder) reset() { e.spans = e.spans[:0] }

// request is the resource of the spans added since the last reset: the
// one element of the export request.
func (e *encoder) request() *tracepb.ResourceSpans {
	e.scope.Spans = e.spans
	return e.rs
}

// marshal encodes the export request (an ExportTraceServiceRequest: its
// one field, resource_spans = 1) in one allocation. Encoded here rather
// than with the collector package's generated type: that package holds
// the gRPC and grpc-gateway stubs too, and importing it linked both into
// the proxy (issue 15). TestMarshalIsTheCollectorsRequest checks it
// against the generated type.
func (e *encoder) marshal() ([]byte, error) {
	rs := e.request()
	n := proto.Size(rs)
	b := make([]byte, 0, protowire.SizeTag(1)+protowire.SizeBytes(n))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	return proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(b, rs)
}

// add encodes s into the next slot.
func (e *encoder) add(s *Span) {
	i := len(e.spans)
	if i == len(e.slots) {
		e.slots = append(e.slots, newSlot(e.node))
	}
	sl := e.slots[i]
	sl.fill(s, e.statusText(s.Status))
	e.spans = append(e.spans, &sl.pb)
}

func (e *encoder) statusText(code int) string {
	t, ok := e.status[code]
	if !ok {
		t = strconv.Itoa(code)
		if len(e.status) < 1024 { // status codes are few; a hostile upstream's are not cached
			e.status[code] = t
		}
	}
	return t
}

func (sl *slot) fill(s *Span, status string) {
	p := &sl.pb
	// Field by field: a proto message must not be copied (it holds
	// internal state), and every field a span may set is set or cleared.
	p.TraceId = unhexInto(sl.ids[0:16], s.Hop.TraceID[:])
	p.SpanId = unhexInto(sl.ids[16:24], s.Hop.SpanID[:])
	p.ParentSpanId = nil
	if s.Hop.HasParent {
		if id := unhexInto(sl.ids[24:32], s.Hop.ParentID[:]); id != nil && !allZero(id) {
			p.ParentSpanId = id
		}
	}
	p.Kind = tracepb.Span_SpanKind(s.Kind)
	p.StartTimeUnixNano = uint64(s.Start.UnixNano())
	p.EndTimeUnixNano = uint64(s.End.UnixNano())
	p.Flags = 0x100 | 1 // context has-is-remote known; sampled
	p.Name = sl.name(s.Authority, s.Path)
	sl.vals[attrMethod].StringValue = s.Method
	sl.vals[attrURL].StringValue = s.Path
	sl.vals[attrProtocol].StringValue = s.Protocol
	sl.vals[attrStatus].StringValue = status
	sl.vals[attrCluster].StringValue = s.Cluster
	sl.vals[attrUpstream].StringValue = s.Upstream
	sl.vals[attrPeer].StringValue = s.Peer
	p.Attributes = sl.attrs[:nAttrs]
	p.Status = nil
	if s.Status >= 500 || s.Status == 0 {
		p.Status = &sl.errSt
		p.Attributes = append(p.Attributes, &sl.err)
	}
}

// name is Envoy's span name, the host and path served (query cut off);
// the last one is kept, so a run of requests to one path allocates once.
func (sl *slot) name(auth, path string) string {
	if auth == sl.auth && path == sl.path && sl.nm != "" {
		return sl.nm
	}
	sl.auth, sl.path = auth, path
	if i := indexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	sl.nm = auth + path
	return sl.nm
}

// unhexInto decodes a hex id into dst; nil when it is not hex or not
// dst's length (Hop ids always fit).
func unhexInto(dst, src []byte) []byte {
	if hex.DecodedLen(len(src)) != len(dst) {
		return nil
	}
	if _, err := hex.Decode(dst, src); err != nil {
		return nil
	}
	return dst
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
