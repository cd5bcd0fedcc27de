package health

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/lb"
)

func TestOutlierEjectsAfterConsecutive5xxWithinMaxPercent(t *testing.T) {
	hs := []*lb.Host{lb.NewHost("a"), lb.NewHost("b")}
	o := NewOutlier(OutlierConfig{Consecutive5xx: 3, BaseEjectionTime: time.Second, MaxEjectionPercent: 50}, hs)
	now := int64(1000)
	o.Record(hs[0], 500, now)
	o.Record(hs[0], 500, now)
	o.Record(hs[0], 200, now) // success resets the streak
	o.Record(hs[0], 500, now)
	o.Record(hs[0], 503, now)
	assert.False(t, hs[0].Ejected(now))
	o.Record(hs[0], 0, now) // connect failure counts
	assert.True(t, hs[0].Ejected(now))
	assert.False(t, hs[0].Ejected(now+int64(time.Second)))
	// a second host would exceed 50%
	for range 5 {
		o.Record(hs[1], 500, now)
	}
	assert.False(t, hs[1].Ejected(now))
}

func TestCheckerMarksHostsByHTTPStatus(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())

	hs := []*lb.Host{lb.NewHost(srv.Listener.Addr().String()), lb.NewHost(dead)}
	c := NewChecker(CheckConfig{Interval: 20 * time.Millisecond, Timeout: time.Second, UnhealthyThreshold: 2,
		HealthyThreshold: 1, HTTPPath: "/healthz"}, hs, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	require.Eventually(t, func() bool { return !hs[1].Healthy() }, 5*time.Second, 10*time.Millisecond)
	assert.True(t, hs[0].Healthy())
	healthy.Store(false)
	require.Eventually(t, func() bool { return !hs[0].Healthy() }, 5*time.Second, 10*time.Millisecond)
	healthy.Store(true)
	require.Eventually(t, func() bool { return hs[0].Healthy() }, 5*time.Second, 10*time.Millisecond)
}

// TestOutlierCountsTimeoutsAsGatewayFailures: as Envoy's detector without
// split_external_local_origin_errors, a per-try timeout (recorded as 504)
// and a reset (0) are gateway failures; another 5xx resets the gateway
// streak but not the 5xx one; a gRPC UNAVAILABLE arrives as 503.
func TestOutlierCountsTimeoutsAsGatewayFailures(t *testing.T) {
	hs := []*lb.Host{lb.NewHost("a"), lb.NewHost("b")}
	o := NewOutlier(OutlierConfig{ConsecutiveGatewayFailure: 3, BaseEjectionTime: time.Second, MaxEjectionPercent: 100}, hs)
	now := int64(1000)
	o.Record(hs[0], 504, now)
	o.Record(hs[0], 0, now)
	o.Record(hs[0], 500, now) // not a gateway error: the streak starts again
	o.Record(hs[0], 504, now)
	o.Record(hs[0], 503, now)
	assert.False(t, hs[0].Ejected(now))
	o.Record(hs[0], 504, now)
	assert.True(t, hs[0].Ejected(now), "three timeouts and gateway errors in a row")

	c5 := NewOutlier(OutlierConfig{Consecutive5xx: 2, BaseEjectionTime: time.Second, MaxEjectionPercent: 100}, hs)
	c5.Record(hs[1], 504, now)
	c5.Record(hs[1], 500, now)
	assert.True(t, hs[1].Ejected(now), "timeouts count toward consecutive_5xx too")
}
