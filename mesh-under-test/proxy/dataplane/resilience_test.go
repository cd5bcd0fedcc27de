package dataplane

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultcommon "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// flakyServer fails the first `fails` requests with status, then succeeds.
func flakyServer(t *testing.T, fails int64, status int) (string, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) <= fails {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("X-Server", "ok")
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), &n
}

func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	a := ln.Addr().String()
	require.NoError(t, ln.Close())
	return a
}

func oneRoute(t *testing.T, r *routev3.Route, filters []*hcmFilter, clusters ...*clusterv3.Cluster) xdsconfig.Resources {
	return xdsconfig.Resources{Clusters: clusters,
		Listeners: []*listenerT{hcmListener(t, "l", corev3.TrafficDirection_OUTBOUND, filters, vhost([]string{"*"}, r))}}
}

func withRetry(r *routev3.Route, on string, n uint32) *routev3.Route {
	r.GetRoute().RetryPolicy = &routev3.RetryPolicy{RetryOn: on, NumRetries: wrapperspb.UInt32(n),
		RetryBackOff: &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(time.Millisecond)}}
	return r
}

func TestRetriesOn5xxAndConnectFailure(t *testing.T) {
	flaky, hits := flakyServer(t, 2, 503)
	res := oneRoute(t, withRetry(prefixRoute("/", "up"), "5xx", 3), nil, staticCluster(t, "up", flaky))
	_, pa := startProxy(t, res)
	resp := get(t, "http://"+pa+"/", nil)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, int64(3), hits.Load())

	// without a retry policy the 503 is returned as is
	flaky2, hits2 := flakyServer(t, 1, 503)
	_, pa2 := startProxy(t, oneRoute(t, prefixRoute("/", "up"), nil, staticCluster(t, "up", flaky2)))
	assert.Equal(t, 503, get(t, "http://"+pa2+"/", nil).StatusCode)
	assert.Equal(t, int64(1), hits2.Load())

	// connect failure on one endpoint is retried on the other
	good, _ := flakyServer(t, 0, 0)
	c := staticCluster(t, "up", deadAddr(t), good)
	_, pa3 := startProxy(t, oneRoute(t, withRetry(prefixRoute("/", "up"), "connect-failure", 2), nil, c))
	for range 6 {
		assert.Equal(t, 200, get(t, "http://"+pa3+"/", nil).StatusCode)
	}
}

func TestRetryBudgetBoundsRetries(t *testing.T) {
	// every request fails; the budget allows at most min_retry_concurrency=1
	// concurrent retry, so under concurrency most requests are not retried.
	var hits atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		<-release
		w.WriteHeader(503)
	}))
	t.Cleanup(srv.Close)
	c := staticCluster(t, "up", srv.Listener.Addr().String())
	c.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{{
		RetryBudget: &clusterv3.CircuitBreakers_Thresholds_RetryBudget{
			BudgetPercent: &typev3.Percent{Value: 0}, MinRetryConcurrency: wrapperspb.UInt32(1)}}}}
	_, pa := startProxy(t, oneRoute(t, withRetry(prefixRoute("/", "up"), "5xx", 5), nil, c))
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { get(t, "http://"+pa+"/", nil) })
	}
	require.Eventually(t, func() bool { return hits.Load() >= n }, 5*time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	// 8 first tries, and far fewer than 8*5 retries
	assert.Less(t, hits.Load(), int64(n+n*5/2), "retries bounded by the budget")
}

// TestRouteTimeoutReturns504: the route timeout (50 ms) answers 504 at the
// timeout, long before the upstream would answer (3 s: the bound of 1 s
// leaves the proxy 950 ms of a loaded machine's stalls and still tells the
// timeout from the upstream's answer).
func TestRouteTimeoutReturns504(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // until the proxy gives up on the request
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	r := prefixRoute("/", "up")
	r.GetRoute().Timeout = durationpb.New(50 * time.Millisecond)
	_, pa := startProxy(t, oneRoute(t, r, nil, staticCluster(t, "up", srv.Listener.Addr().String())))
	t0 := time.Now()
	assert.Equal(t, 504, get(t, "http://"+pa+"/", nil).StatusCode)
	took := time.Since(t0)
	assert.GreaterOrEqual(t, took, 50*time.Millisecond, "not before the timeout")
	assert.Less(t, took, time.Second, "at the timeout, not at the upstream's answer")
}

func TestCircuitBreakerMaxRequests(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { <-release }))
	t.Cleanup(srv.Close)
	c := staticCluster(t, "up", srv.Listener.Addr().String())
	c.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{{
		MaxRequests: wrapperspb.UInt32(1)}}}
	p, pa := startProxy(t, oneRoute(t, prefixRoute("/", "up"), nil, c))
	done := make(chan int)
	go func() { done <- get(t, "http://"+pa+"/", nil).StatusCode }()
	require.Eventually(t, func() bool { return p.Snapshot().Clusters["up"].Breakers.Requests() == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, 503, get(t, "http://"+pa+"/", nil).StatusCode)
	close(release)
	assert.Equal(t, 200, <-done)
}

func TestOutlierEjectionMovesTrafficAway(t *testing.T) {
	bad, badHits := flakyServer(t, 1<<30, 500)
	good, _ := flakyServer(t, 0, 0)
	c := staticCluster(t, "up", bad, good)
	c.OutlierDetection = &clusterv3.OutlierDetection{Consecutive_5Xx: wrapperspb.UInt32(3),
		BaseEjectionTime: durationpb.New(time.Minute), MaxEjectionPercent: wrapperspb.UInt32(50)}
	_, pa := startProxy(t, oneRoute(t, prefixRoute("/", "up"), nil, c))
	for range 20 {
		get(t, "http://"+pa+"/", nil)
	}
	before := badHits.Load()
	assert.Equal(t, int64(3), before, "ejected after 3 consecutive 5xx")
	for range 20 {
		assert.Equal(t, 200, get(t, "http://"+pa+"/", nil).StatusCode)
	}
	assert.Equal(t, before, badHits.Load())
}

func TestActiveHealthCheckRemovesUnhealthyEndpoint(t *testing.T) {
	var sick atomic.Bool
	var sickHits atomic.Int64
	sickSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && sick.Load() {
			w.WriteHeader(503)
			return
		}
		if r.URL.Path != "/healthz" {
			sickHits.Add(1)
		}
	}))
	t.Cleanup(sickSrv.Close)
	good, _ := flakyServer(t, 0, 0)
	c := staticCluster(t, "up", sickSrv.Listener.Addr().String(), good)
	c.HealthChecks = []*corev3.HealthCheck{{Timeout: durationpb.New(time.Second), Interval: durationpb.New(20 * time.Millisecond),
		UnhealthyThreshold: wrapperspb.UInt32(1), HealthyThreshold: wrapperspb.UInt32(1),
		HealthChecker: &corev3.HealthCheck_HttpHealthCheck_{HttpHealthCheck: &corev3.HealthCheck_HttpHealthCheck{Path: "/healthz"}}}}
	p, pa := startProxy(t, oneRoute(t, prefixRoute("/", "up"), nil, c))
	sick.Store(true)
	hosts := p.Snapshot().Clusters["up"].Hosts()
	require.Eventually(t, func() bool { return !hosts[0].Healthy() }, 5*time.Second, 5*time.Millisecond)
	before := sickHits.Load()
	for range 10 {
		assert.Equal(t, 200, get(t, "http://"+pa+"/", nil).StatusCode)
	}
	assert.Equal(t, before, sickHits.Load())
	sick.Store(false)
	require.Eventually(t, func() bool { return hosts[0].Healthy() }, 5*time.Second, 5*time.Millisecond)
}

func TestFaultInjectionAbortAndDelay(t *testing.T) {
	good, hits := flakyServer(t, 0, 0)
	abort := prefixRoute("/abort", "up")
	abort.TypedPerFilterConfig = map[string]*anypb.Any{"envoy.filters.http.fault": config.MustAny(&faultv3.HTTPFault{
		Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_HttpStatus{HttpStatus: 418},
			Percentage: &typev3.FractionalPercent{Numerator: 100}}})}
	delay := prefixRoute("/delay", "up")
	delay.TypedPerFilterConfig = map[string]*anypb.Any{"envoy.filters.http.fault": config.MustAny(&faultv3.HTTPFault{
		Delay: &faultcommon.FaultDelay{FaultDelaySecifier: &faultcommon.FaultDelay_FixedDelay{FixedDelay: durationpb.New(300 * time.Millisecond)},
			Percentage: &typev3.FractionalPercent{Numerator: 100}}})}
	res := xdsconfig.Resources{Clusters: []*clusterT{staticCluster(t, "up", good)},
		Listeners: []*listenerT{hcmListener(t, "l", corev3.TrafficDirection_OUTBOUND,
			[]*hcmFilter{httpFilter("envoy.filters.http.fault", &faultv3.HTTPFault{})},
			vhost([]string{"*"}, abort, delay, prefixRoute("/", "up")))}}
	_, pa := startProxy(t, res)
	assert.Equal(t, 418, get(t, "http://"+pa+"/abort", nil).StatusCode)
	assert.Equal(t, int64(0), hits.Load())
	t0 := time.Now()
	assert.Equal(t, 200, get(t, "http://"+pa+"/delay", nil).StatusCode)
	assert.GreaterOrEqual(t, time.Since(t0), 300*time.Millisecond)
	// The route without the fault is not delayed: below the 300 ms delay,
	// which leaves a loaded machine's stalls a wide margin over the
	// millisecond a local request takes.
	t0 = time.Now()
	assert.Equal(t, 200, get(t, "http://"+pa+"/plain", nil).StatusCode)
	assert.Less(t, time.Since(t0), 300*time.Millisecond)
}

func TestLocalRateLimit429(t *testing.T) {
	good, _ := flakyServer(t, 0, 0)
	enabled := &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 100}}
	lrl := &lrlv3.LocalRateLimit{StatPrefix: "rl", FilterEnabled: enabled, FilterEnforced: enabled,
		TokenBucket: &typev3.TokenBucket{MaxTokens: 3, TokensPerFill: wrapperspb.UInt32(1), FillInterval: durationpb.New(time.Hour)}}
	_, pa := startProxy(t, oneRoute(t, prefixRoute("/", "up"), []*hcmFilter{httpFilter("envoy.filters.http.local_ratelimit", lrl)},
		staticCluster(t, "up", good)))
	var codes []int
	for range 5 {
		codes = append(codes, get(t, "http://"+pa+"/", nil).StatusCode)
	}
	assert.Equal(t, []int{200, 200, 200, 429, 429}, codes)
}

func TestLeastRequestAvoidsBusyEndpoint(t *testing.T) {
	release := make(chan struct{})
	var slowHits atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		slowHits.Add(1)
		<-release
	}))
	t.Cleanup(slow.Close)
	defer close(release) // before the proxy's cleanup, which drains requests
	fast, fastHits := flakyServer(t, 0, 0)
	c := staticCluster(t, "up", slow.Listener.Addr().String(), fast)
	c.LbPolicy = clusterv3.Cluster_LEAST_REQUEST
	p, pa := startProxy(t, oneRoute(t, prefixRoute("/", "up"), nil, c))
	hosts := p.Snapshot().Clusters["up"].Hosts()
	// Park one request on the slow endpoint: with both idle the choice is a
	// coin toss, so send until one lands there.
	for i := 0; slowHits.Load() == 0 && i < 100; i++ {
		go func() { _, _ = http.Get("http://" + pa + "/") }()
		require.Eventually(t, func() bool { return slowHits.Load()+fastHits.Load() > int64(i) }, 5*time.Second, time.Millisecond)
	}
	require.Equal(t, int64(1), slowHits.Load())
	require.Eventually(t, func() bool { return hosts[0].Active() == 1 && hosts[1].Active() == 0 }, 5*time.Second, time.Millisecond)
	before := fastHits.Load()
	for range 20 {
		get(t, "http://"+pa+"/", nil)
	}
	assert.Equal(t, int64(1), slowHits.Load(), "no new request goes to the busy endpoint (active %d/%d)", hosts[0].Active(), hosts[1].Active())
	assert.Equal(t, before+20, fastHits.Load())
}

// TestMaxConnectionsQueuesPendingThenOverflows: with one connection and one
// pending slot, a second request waits for the connection and a third
// overflows. Each request is fired once the one before it is where the test
// wants it (at the upstream, waiting), read from the upstream and the
// cluster's breakers: sleeps between the requests ordered them only while
// the proxy read each within them (a proxy goroutine still finishing the
// previous answer on a kept-alive connection, on a loaded machine, swapped
// the order).
func TestMaxConnectionsQueuesPendingThenOverflows(t *testing.T) {
	var arrived atomic.Int64
	release := make(chan struct{}, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	c := staticCluster(t, "up", srv.Listener.Addr().String())
	c.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{{
		MaxConnections: wrapperspb.UInt32(1), MaxPendingRequests: wrapperspb.UInt32(1)}}}
	p, pa := startProxy(t, oneRoute(t, prefixRoute("/", "up"), nil, c))
	breakers := p.Snapshot().Clusters["up"].Breakers
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	send := func() <-chan int {
		code := make(chan int, 1)
		go func() {
			resp, err := client.Get("http://" + pa + "/")
			if err != nil {
				code <- 0
				return
			}
			_ = resp.Body.Close()
			code <- resp.StatusCode
		}()
		return code
	}
	fire := func(n int) []int {
		before := arrived.Load()
		var codes []<-chan int
		codes = append(codes, send())
		require.Eventually(t, func() bool { return arrived.Load() == before+1 }, 5*time.Second, time.Millisecond, "the first request at the upstream")
		codes = append(codes, send())
		require.Eventually(t, func() bool { return breakers.Pending() == 1 }, 5*time.Second, time.Millisecond, "the second request waiting")
		var third []int
		if n == 3 {
			select { // answered while the other two are held: it overflowed
			case code := <-send():
				third = append(third, code)
			case <-time.After(5 * time.Second):
				t.Fatal("the third request neither overflowed nor ended")
			}
		}
		release <- struct{}{}
		release <- struct{}{}
		return append([]int{<-codes[0], <-codes[1]}, third...)
	}
	assert.Equal(t, []int{200, 200}, fire(2), "the second request waits for the one connection")
	assert.Equal(t, []int{200, 200, 503}, fire(3), "a second pending request overflows")
}
