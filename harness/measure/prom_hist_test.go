package measure

import (
	"context"
	"math"
	"net"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistQuantile(t *testing.T) {
	h := &Hist{Count: 10, Sum: 0.1, Bounds: []float64{0.001, 0.01, 0.1}, Counts: []uint64{0, 8, 9}}
	tests := []struct {
		q, want float64
	}{
		{0.5, 0.001 + 0.009*5/8}, // the 5th of 8 in (1ms, 10ms]
		{0.8, 0.01},
		{0.9, 0.1},
		{0.99, 0.1}, // in +Inf: the last finite bound
	}
	for _, tt := range tests {
		assert.InDelta(t, tt.want, h.Quantile(tt.q), 1e-12, "q=%v", tt.q)
	}
	assert.True(t, math.IsNaN((&Hist{}).Quantile(0.5)))
	assert.InDelta(t, 0.01, h.Mean(), 1e-12)
}

// TestScrapeHistogramsWindow: two scrapes of a real client_golang
// histogram served on 127.0.0.1; their difference is exactly what was
// observed between them, summed over the labels the key drops.
func TestScrapeHistogramsWindow(t *testing.T) {
	reg := prometheus.NewRegistry()
	hv := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "d_seconds", Buckets: []float64{0.001, 0.01, 0.1}},
		[]string{"direction", "destination", "code"})
	reg.MustRegister(hv, prometheus.NewCounter(prometheus.CounterOpts{Name: "not_a_histogram"}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	url := "http://" + ln.Addr().String() + "/metrics"
	ctx := context.Background()

	hv.WithLabelValues("outbound", "outbound|b", "200").Observe(0.5) // before the window
	before, err := ScrapeHistograms(ctx, url, "d_seconds", "direction", "destination")
	require.NoError(t, err)
	for _, v := range []float64{0.002, 0.004, 0.02} {
		hv.WithLabelValues("outbound", "outbound|b", "200").Observe(v)
	}
	hv.WithLabelValues("outbound", "outbound|b", "503").Observe(0.0005) // a new series inside the window
	hv.WithLabelValues("inbound", "inbound|app", "200").Observe(0.003)
	after, err := ScrapeHistograms(ctx, url, "d_seconds", "direction", "destination")
	require.NoError(t, err)

	k := HistKey{Direction: "outbound", Cluster: "outbound|b"}
	w := after[k].Sub(before[k])
	assert.Equal(t, uint64(4), w.Count, "the four observations of the window, both codes")
	assert.InDelta(t, 0.0265, w.Sum, 1e-9)
	assert.Equal(t, []uint64{1, 3, 4}, w.Counts)
	in := after[HistKey{Direction: "inbound", Cluster: "inbound|app"}].Sub(nil)
	assert.Equal(t, uint64(1), in.Count)

	_, err = ScrapeHistograms(ctx, url, "not_a_histogram", "direction", "destination")
	assert.ErrorContains(t, err, "not a histogram")
	_, err = ScrapeHistograms(ctx, "http://"+ln.Addr().String()+"/nope", "d_seconds", "direction", "destination")
	assert.ErrorContains(t, err, "404")
	var sum Hist
	require.NoError(t, sum.Add(w))
	assert.Error(t, sum.Add(&Hist{Bounds: []float64{1}, Counts: []uint64{1}}), "different buckets")
}
