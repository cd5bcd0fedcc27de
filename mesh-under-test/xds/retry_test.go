package xds_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
)

// retryLane starts meshcontrol on a clientonly lane in front of upstream,
// with the route's retries and the cluster's retry budget set in the mesh
// file's policy (as a user writes them), and a client proxy fed by it. It
// returns the proxy's outbound address once the route answers.
func retryLane(t *testing.T, ctx context.Context, upstream string, rule meshconfig.Rule, cb *meshconfig.CircuitBreaker) string {
	t.Helper()
	return retryLaneOn(t, ctx, laneSpec{upstreams: []string{upstream}}, rule, meshconfig.Destination{CircuitBreaker: cb})
}

// laneSpec is the service behind retryLaneOn: its protocol (default
// HTTP/1.1), its endpoints (the app and replicas), the client proxy's
// HTTP/2 path (h2xnet: --h2-fast=false) and its metrics (nil: its own).
type laneSpec struct {
	protocol  string
	upstreams []string
	h2xnet    bool
	metrics   *telemetry.Metrics
}

// retryLaneOn is retryLane for any protocol, endpoints and destination
// policy (dest.Service is set here).
func retryLaneOn(t *testing.T, ctx context.Context, spec laneSpec, rule meshconfig.Rule, dest meshconfig.Destination) string {
	t.Helper()
	outbound := freeAddr(t)
	mesh, err := meshconfig.Lane(meshconfig.LaneOptions{Mode: meshconfig.ModeClientOnly, Protocol: spec.protocol, ClientOutbound: outbound,
		App: spec.upstreams[0], Replicas: spec.upstreams[1:], Revision: 1})
	require.NoError(t, err)
	dest.Service = "echo"
	mesh.Policy.Routes = []meshconfig.ServiceRoutes{{Service: "echo", Rules: []meshconfig.Rule{rule}}}
	mesh.Policy.Destinations = []meshconfig.Destination{dest}
	path := filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, mesh.WriteFile(path))
	inst := startControl(t, ctx, path, "127.0.0.1:0")
	t.Cleanup(func() { _ = inst.Stop() })
	if spec.metrics == nil {
		spec.metrics = telemetry.NewMetrics()
	}
	startProxyWith(t, ctx, inst.Addr(), "client-proxy", 0, spec.h2xnet, spec.metrics)
	c := clientFor(spec.protocol, 2*time.Second)
	require.Eventually(t, func() bool {
		resp, err := c.Get("http://" + outbound + "/ready-probe")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode != http.StatusNotFound
	}, 10*time.Second, 20*time.Millisecond, "the route from meshcontrol is in the proxy")
	return outbound
}

func status(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestRetriesFromMeshcontrolHideAFlakyUpstream: an upstream that answers
// every other request 503 (and resets the connection of every fourth)
// behind retries on 5xx/reset configured in the mesh file: the caller sees
// no error, and the upstream saw each failed attempt retried once.
func TestRetriesFromMeshcontrolHideAFlakyUpstream(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var hits atomic.Int64
	ready := atomic.Bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			return // the readiness probe
		}
		switch n := hits.Add(1); {
		case n%4 == 1: // a reset: the connection closes before any answer
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		case n%2 == 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	out := retryLane(t, ctx, srv.Listener.Addr().String(), meshconfig.Rule{
		Retries: &meshconfig.Retries{Attempts: 2, PerTryTimeout: meshconfig.Duration(time.Second), On: "5xx,reset,connect-failure"}},
		&meshconfig.CircuitBreaker{RetryBudgetPercent: 50, MinRetryConcurrency: 3})
	ready.Store(true)
	const n = 40
	for i := range n {
		code, err := status(fmt.Sprintf("http://%s/r%d", out, i))
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, code, "request %d", i)
	}
	// Sequential requests: attempt 2k-1 fails (503 or reset), 2k succeeds.
	assert.Equal(t, int64(2*n), hits.Load(), "every request took exactly two attempts at the upstream")
}

// TestRetryBudgetFromMeshcontrolCapsRetriesToAHungUpstream: an upstream
// that never answers, retries of up to 3 per request on per-try timeouts,
// and a 20% budget: a retry counts against the budget until its attempt
// ends, so at most a fifth of the active requests hold one, which bounds
// retries to 20/80 = 25% of first attempts (each attempt lasting the
// per-try timeout). Counted at the upstream: attempts <= 1.25 x requests
// (plus the budget's few retries in flight when the load stops). Without
// the budget every request would make 4 attempts. With a route timeout
// (1s, above 4 x the per-try timeout) and without one: a per-try timeout
// is retried either way. That retries happen is read from the proxy's
// retry counter: on a loaded machine an attempt can time out before the
// upstream's handler runs, so the upstream's count is only an upper bound.
func TestRetryBudgetFromMeshcontrolCapsRetriesToAHungUpstream(t *testing.T) {
	for _, timeout := range []time.Duration{time.Second, 0} {
		t.Run(fmt.Sprintf("route timeout %s", timeout), func(t *testing.T) { testRetryBudgetHung(t, timeout) })
	}
}

func testRetryBudgetHung(t *testing.T, routeTimeout time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var hits atomic.Int64
	hang := make(chan struct{})
	var hung atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hung.Load() {
			return // the readiness probe
		}
		hits.Add(1)
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	const perTry = 80 * time.Millisecond
	m := telemetry.NewMetrics()
	out := retryLaneOn(t, ctx, laneSpec{upstreams: []string{srv.Listener.Addr().String()}, metrics: m},
		meshconfig.Rule{Timeout: meshconfig.Duration(routeTimeout),
			Retries: &meshconfig.Retries{Attempts: 3, PerTryTimeout: meshconfig.Duration(perTry), On: "5xx,reset,connect-failure"}},
		meshconfig.Destination{CircuitBreaker: &meshconfig.CircuitBreaker{RetryBudgetPercent: 20, MinRetryConcurrency: 1}})
	hung.Store(true)

	const clients = 20
	var requests, gateway, other atomic.Int64
	stop := time.Now().Add(1500 * time.Millisecond)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop); i++ {
				code, err := status(fmt.Sprintf("http://%s/c%d/%d", out, c, i))
				requests.Add(1)
				if err == nil && code == http.StatusGatewayTimeout {
					gateway.Add(1)
				} else {
					other.Add(1)
					t.Logf("not the proxy's 504: status %d, error %v", code, err)
				}
			}
		})
	}
	wg.Wait()
	n, h := requests.Load(), hits.Load()
	// Each retry is counted when it is decided, before its attempt and so
	// before the reply the client waited for.
	retries := counter(t, m, "meshproxy_upstream_retries_total")
	t.Logf("%d requests, %.0f retries, %d attempts at the upstream (%.3f per request), %d answered 504",
		n, retries, h, float64(h)/float64(n), gateway.Load())
	require.Greater(t, n, int64(clients), "the load ran")
	assert.LessOrEqual(t, other.Load(), n/20, "requests end in the proxy's 504 (a few lost to a loaded machine)")
	assert.Positive(t, retries, "some requests were retried")
	// 0.2 x 20 clients = at most 4 retries hold the budget at the end.
	assert.LessOrEqual(t, retries, 0.25*float64(n)+4, "the budget bounds retries per request")
	assert.LessOrEqual(t, float64(h), 1.25*float64(n)+4, "the budget bounds attempts per request, at the upstream")
}
