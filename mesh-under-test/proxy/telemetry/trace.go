package telemetry

import "math/rand/v2"

const hexDigits = "0123456789abcdef"

// Trace propagates trace context across the proxy hop the way a tracing
// sidecar does: the proxy's own span becomes the parent of the upstream
// request, so it rewrites the parent/span id and keeps the trace id and
// sampling flags. Generate decides whether requests without context start
// a new trace; Sampling is the fraction of those new traces marked sampled
// (Envoy's random_sampling). An incoming context keeps its own sampled
// flag. After Traceparent or B3, Hop describes this proxy's span. The zero
// Trace is ready to use; buffers are reused per connection, so a Trace is
// not safe for concurrent use.
type Trace struct {
	Generate bool
	Sampling float64
	tp       [55]byte
	b3span   [16]byte
	b3parent []byte
	parent   [16]byte
	hop      Hop
}

// Hop is the span context of one request at this proxy, in hex as it
// travels in headers: no allocation until a sampled span is exported.
type Hop struct {
	TraceID [32]byte
	SpanID  [16]byte
	// ParentID is the caller's span id; all '0' (or zero) for a root span.
	ParentID  [16]byte
	HasParent bool
	Sampled   bool
	// Valid: the request carried or started a trace.
	Valid bool
}

// Hop returns the span context the last Traceparent or B3 call decided.
func (t *Trace) Hop() *Hop { return &t.hop }

func putHex(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = hexDigits[v&0xf]
		v >>= 4
	}
}

func isHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// sample decides a new trace's sampled flag.
func (t *Trace) sample() bool {
	return t.Sampling >= 1 || (t.Sampling > 0 && rand.Float64() < t.Sampling)
}

// Traceparent returns the W3C traceparent to send upstream given the
// incoming one (nil when absent), or nil to send none.
func (t *Trace) Traceparent(in []byte) []byte {
	t.hop = Hop{}
	// version(2)-traceid(32)-parentid(16)-flags(2)
	if len(in) == 55 && in[2] == '-' && in[35] == '-' && in[52] == '-' && isHex(in[3:35]) && isHex(in[36:52]) && isHex(in[53:55]) {
		copy(t.tp[:], in)
		copy(t.hop.ParentID[:], in[36:52])
		t.hop.HasParent = true
		// flags: bit 0 is "sampled"; the last hex digit carries it.
		t.hop.Sampled = (in[54]-'0')&1 == 1 || in[54] == 'b' || in[54] == 'd' || in[54] == 'f'
	} else if t.Generate {
		copy(t.tp[:], "00-")
		putHex(t.tp[3:19], rand.Uint64())
		putHex(t.tp[19:35], rand.Uint64()|1)
		t.hop.Sampled = t.sample()
		if t.hop.Sampled {
			copy(t.tp[35:], "-0000000000000000-01")
		} else {
			copy(t.tp[35:], "-0000000000000000-00")
		}
	} else {
		return nil
	}
	putHex(t.tp[36:52], rand.Uint64()|1)
	copy(t.hop.TraceID[:], t.tp[3:35])
	copy(t.hop.SpanID[:], t.tp[36:52])
	t.hop.Valid = true
	return t.tp[:]
}

// TraceID returns the trace id of the last Traceparent result.
func (t *Trace) TraceID() []byte { return t.tp[3:35] }

// B3 returns new X-B3-SpanId and X-B3-ParentSpanId values given the
// incoming span id (nil when the request carries no B3 context: then both
// results are nil).
func (t *Trace) B3(inSpan []byte) (span, parent []byte) {
	if len(inSpan) != 16 {
		return nil, nil
	}
	copy(t.parent[:], inSpan)
	putHex(t.b3span[:], rand.Uint64()|1)
	return t.b3span[:], t.parent[:]
}

// B3Hop makes the last B3 result this proxy's span when the request had no
// W3C context: traceID is X-B3-TraceId (16 or 32 hex digits), sampled
// X-B3-Sampled (absent: decided like a new trace; "1" or "true" sampled).
func (t *Trace) B3Hop(traceID, sampled []byte) {
	if t.hop.Valid || (len(traceID) != 16 && len(traceID) != 32) || !isHex(traceID) || !isHex(t.parent[:]) {
		return
	}
	for i := range t.hop.TraceID {
		t.hop.TraceID[i] = '0'
	}
	copy(t.hop.TraceID[32-len(traceID):], traceID)
	t.hop.SpanID = t.b3span
	t.hop.ParentID = t.parent
	t.hop.HasParent = true
	switch string(sampled) {
	case "1", "true", "d":
		t.hop.Sampled = true
	case "":
		t.hop.Sampled = t.sample()
	}
	t.hop.Valid = true
}

// Propagate decides this hop's span context from the incoming headers and
// returns the values to send upstream (nil: send none). A request with a
// complete B3 context and no traceparent stays a B3 trace: no W3C trace is
// started beside it, so both proxies of a hop agree on one trace.
func (t *Trace) Propagate(traceparent, b3Trace, b3Span, b3Sampled []byte) (tp, span, parent []byte) {
	gen := t.Generate
	if len(traceparent) == 0 && len(b3Span) == 16 && (len(b3Trace) == 16 || len(b3Trace) == 32) {
		t.Generate = false
	}
	tp = t.Traceparent(traceparent)
	t.Generate = gen
	if span, parent = t.B3(b3Span); span != nil {
		t.B3Hop(b3Trace, b3Sampled)
	}
	return tp, span, parent
}
