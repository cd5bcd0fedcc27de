package telemetry

import "math/rand/v2"

const hexDigits = "0123456789abcdef"

// Trace propagates trace context across the proxy hop the way a tracing
// sidecar does: the proxy's own span becomes the parent of the upstream
// request, so it rewrites the parent/span id and keeps the trace id and
// sampling flags. Generate decides whether requests without context start
// a new trace. The zero Trace is ready to use; buffers are reused per
// connection, so a Trace is not safe for concurrent use.
type Trace struct {
	Generate bool
	tp       [55]byte
	b3span   [16]byte
	b3parent []byte
	parent   [16]byte
}

func putHex(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = hexDigits[v&0xf]
		v >>= 4
	}
}

// Traceparent returns the W3C traceparent to send upstream given the
// incoming one (nil when absent), or nil to send none.
func (t *Trace) Traceparent(in []byte) []byte {
	// version(2)-traceid(32)-parentid(16)-flags(2)
	if len(in) == 55 && in[2] == '-' && in[35] == '-' && in[52] == '-' {
		copy(t.tp[:], in)
	} else if t.Generate {
		copy(t.tp[:], "00-")
		putHex(t.tp[3:19], rand.Uint64())
		putHex(t.tp[19:35], rand.Uint64()|1)
		copy(t.tp[35:], "-0000000000000000-01")
	} else {
		return nil
	}
	putHex(t.tp[36:52], rand.Uint64()|1)
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
