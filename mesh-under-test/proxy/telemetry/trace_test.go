package telemetry

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestNewTraceSamplingWithinBinomialBounds: 1% of 20 000 new traces are
// marked sampled, within the 99.9% binomial interval (z = 3.29), and the
// traceparent's flags say so.
func TestNewTraceSamplingWithinBinomialBounds(t *testing.T) {
	for _, p := range []float64{0.01, 0.10} {
		tr := Trace{Generate: true, Sampling: p}
		const n = 20000
		sampled := 0
		for range n {
			tp := tr.Traceparent(nil)
			if tr.Hop().Sampled {
				sampled++
				assert.Equal(t, "01", string(tp[53:]))
			} else {
				assert.Equal(t, "00", string(tp[53:]))
			}
		}
		mean := n * p
		d := 3.29 * math.Sqrt(mean*(1-p))
		assert.InDelta(t, mean, sampled, d, "sampling %v", p)
	}
	tr := Trace{Generate: true}
	tr.Traceparent(nil)
	assert.False(t, tr.Hop().Sampled, "0%: none")
	tr.Sampling = 1
	tr.Traceparent(nil)
	assert.True(t, tr.Hop().Sampled, "100%: all")
}

func TestHopFromTraceparent(t *testing.T) {
	tr := Trace{Generate: true, Sampling: 0}
	in := []byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	out := tr.Traceparent(in)
	h := tr.Hop()
	assert.True(t, h.Valid && h.Sampled && h.HasParent, "the incoming sampled flag wins over 0%")
	assert.Equal(t, "0af7651916cd43dd8448eb211c80319c", string(h.TraceID[:]))
	assert.Equal(t, "b7ad6b7169203331", string(h.ParentID[:]))
	assert.Equal(t, string(out[36:52]), string(h.SpanID[:]), "this hop's span is the parent sent upstream")
	tr.Sampling = 1
	tr.Traceparent([]byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"))
	assert.False(t, tr.Hop().Sampled, "an unsampled caller stays unsampled at 100%")
	assert.Len(t, tr.Traceparent([]byte("00-0af7651916cd43dd8448eb211c80319X-b7ad6b7169203331-01")), 55, "not hex: a new trace")
	assert.False(t, tr.Hop().HasParent)
}

func TestPropagateB3(t *testing.T) {
	tr := Trace{Generate: true, Sampling: 0}
	tp, span, parent := tr.Propagate(nil, []byte("463ac35c9f6413ad"), []byte("a2fb4a1d1a96d312"), []byte("1"))
	assert.Nil(t, tp, "a B3 trace stays B3: no W3C trace beside it")
	assert.Equal(t, "a2fb4a1d1a96d312", string(parent))
	h := tr.Hop()
	assert.True(t, h.Valid && h.Sampled)
	assert.Equal(t, "0000000000000000463ac35c9f6413ad", string(h.TraceID[:]))
	assert.Equal(t, string(span), string(h.SpanID[:]))
	tr.Propagate(nil, []byte("463ac35c9f6413ad"), []byte("a2fb4a1d1a96d312"), []byte("0"))
	assert.False(t, tr.Hop().Sampled)
	// Both: W3C is the trace, B3 ids are rewritten beside it.
	tp, span, _ = tr.Propagate([]byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), []byte("463ac35c9f6413ad"), []byte("a2fb4a1d1a96d312"), nil)
	assert.NotNil(t, tp)
	assert.NotNil(t, span)
	assert.Equal(t, "0af7651916cd43dd8448eb211c80319c", string(tr.Hop().TraceID[:]))
}
