package telemetry

import (
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
)

func TestSeriesObserve(t *testing.T) {
	m := NewMetrics()
	s := m.Series("outbound", "a", "b")
	assert.Same(t, s, m.Series("outbound", "a", "b"))
	s.Observe(200, time.Millisecond, 10, 20)
	s.Observe(200, time.Millisecond, 10, 20)
	s.Observe(503, time.Millisecond, 10, 0)
	value := func(code string) float64 {
		var out dto.Metric
		if err := m.requests.WithLabelValues("outbound", "a", "b", code).Write(&out); err != nil {
			t.Fatal(err)
		}
		return out.GetCounter().GetValue()
	}
	assert.Equal(t, 2.0, value("200"))
	assert.Equal(t, 1.0, value("503"))
}

func TestTraceparent(t *testing.T) {
	var tr Trace
	assert.Nil(t, tr.Traceparent(nil), "no context and not generating")
	tr.Generate = true
	out := tr.Traceparent(nil)
	assert.Len(t, out, 55)
	assert.Equal(t, "00-", string(out[:3]))
	in := []byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	out = tr.Traceparent(in)
	assert.Equal(t, string(in[:36]), string(out[:36]))
	assert.NotEqual(t, string(in[36:52]), string(out[36:52]))
}

func BenchmarkMetricsRecord(b *testing.B) {
	m := NewMetrics()
	s := m.Series("outbound", "spiffe://cluster.local/ns/default/sa/client", "outbound|8080||server.default")
	b.ReportAllocs()
	for b.Loop() {
		s.Observe(200, 230*time.Microsecond, 1024, 1024)
	}
}

// TestRequestMetricsOff: with per-request metrics off, observed requests
// leave no request series behind (with them on, the same calls do), and
// the proxy's own counters still work.
func TestRequestMetricsOff(t *testing.T) {
	series := []string{"meshproxy_requests_total", "meshproxy_request_duration_seconds", "meshproxy_request_bytes", "meshproxy_response_bytes"}
	for _, off := range []bool{false, true} {
		m := NewMetrics()
		if off {
			m.DisableRequestMetrics()
		}
		m.Series("outbound", "a", "b").Observe(200, time.Millisecond, 10, 20)
		m.LocalReply("no_route")
		fams, err := m.Registry.Gather()
		assert.NoError(t, err)
		names := map[string]int{}
		for _, f := range fams {
			names[f.GetName()] = len(f.GetMetric())
		}
		for _, n := range series {
			assert.Equal(t, !off, names[n] > 0, "%s off=%v", n, off)
		}
		assert.NotZero(t, names["meshproxy_local_replies_total"], names)
	}
}
