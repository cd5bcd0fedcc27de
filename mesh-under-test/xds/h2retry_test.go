package xds_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// clientFor is a client speaking the lane's protocol to the proxy's
// outbound listener: h2c (prior knowledge) for HTTP/2 and gRPC.
func clientFor(protocol string, timeout time.Duration) *http.Client {
	if protocol == meshconfig.ProtocolHTTP2 || protocol == meshconfig.ProtocolGRPC {
		return &http.Client{Timeout: timeout, Transport: &http2.Transport{AllowHTTP: true,
			DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}}}
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{}}
}

// countingUpstream is an app on 127.0.0.1 (h2c for HTTP/2 and gRPC) that
// counts the requests it gets once armed (before, it answers 200: the
// lane's readiness probe) and answers each as behave says: a status, or 0
// to hang until the request's stream is cancelled, which it counts.
type countingUpstream struct {
	addr            string
	armed           atomic.Bool
	hits, cancelled atomic.Int64
	behave          func(hit int64) int
}

func startCountingUpstream(t *testing.T, protocol string, behave func(hit int64) int) *countingUpstream {
	t.Helper()
	u := &countingUpstream{behave: behave}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if !u.armed.Load() {
			return
		}
		status := u.behave(u.hits.Add(1))
		if status == 0 {
			select {
			case <-r.Context().Done(): // the proxy reset the stream (RST_STREAM CANCEL) or closed
				u.cancelled.Add(1)
			case <-time.After(10 * time.Second):
			}
			return
		}
		w.WriteHeader(status)
	})
	if protocol != meshconfig.ProtocolHTTP {
		h = h2c.NewHandler(h, &http2.Server{})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	u.addr = ln.Addr().String()
	return u
}

// h2Paths are the proxy's two HTTP/2 paths: the lean one (the default)
// and x/net/http2's (meshproxy --h2-fast=false).
var h2Paths = []struct {
	name   string
	h2xnet bool
}{{"lean", false}, {"xnet", true}}

// TestPerTryTimeoutFromMeshcontrolRetriesAHungH2Upstream: retries with a
// per-try timeout in the mesh file's policy, through meshcontrol into a
// real proxy, in front of an h2c upstream, on both HTTP/2 paths. An
// upstream that hangs every other request: each hung attempt is reset at
// the per-try timeout (the upstream sees its stream cancelled) and
// retried, so every caller gets 200 after exactly two attempts. An
// upstream that hangs every request: three attempts each (2 retries),
// then the proxy's 504. There is no route timeout: before, a hung h2
// attempt was bounded by nothing else and the caller waited for ever.
func TestPerTryTimeoutFromMeshcontrolRetriesAHungH2Upstream(t *testing.T) {
	for _, path := range h2Paths {
		t.Run(path.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var hangAll atomic.Bool
			up := startCountingUpstream(t, meshconfig.ProtocolHTTP2, func(hit int64) int {
				if hangAll.Load() || hit%2 == 1 {
					return 0
				}
				return http.StatusOK
			})
			out := retryLaneOn(t, ctx, laneSpec{protocol: meshconfig.ProtocolHTTP2, upstreams: []string{up.addr}, h2xnet: path.h2xnet},
				meshconfig.Rule{Retries: &meshconfig.Retries{Attempts: 2, PerTryTimeout: meshconfig.Duration(100 * time.Millisecond), On: "5xx,reset,connect-failure"}},
				meshconfig.Destination{})
			up.armed.Store(true)
			c := clientFor(meshconfig.ProtocolHTTP2, 5*time.Second)
			const n = 8
			expectStatus(t, c, "http://"+out+"/half/", n, http.StatusOK, "the hung attempt was retried")
			assert.Equal(t, int64(2*n), up.hits.Load(), "every request took exactly two attempts")
			require.Eventually(t, func() bool { return up.cancelled.Load() == n }, 2*time.Second, 10*time.Millisecond,
				"each hung attempt's stream was cancelled at the upstream (cancelled %d of %d)", up.cancelled.Load(), n)

			hangAll.Store(true)
			up.hits.Store(0)
			const m = 3
			expectStatus(t, c, "http://"+out+"/hung/", m, http.StatusGatewayTimeout, "every try timed out")
			assert.Equal(t, int64(3*m), up.hits.Load(), "every request took three attempts (two retries)")
		})
	}
}

// TestPerTryTimeoutOnAGRPCCall: a gRPC call (a request with a body, which
// the HTTP/2 paths keep to send again) to an upstream that never answers
// gets the per-try timeout's answer as Envoy gives it to a gRPC caller:
// HTTP 200, grpc-status 14 (UNAVAILABLE, Envoy's mapping of its local 504)
// and grpc-message "upstream request timeout", after three attempts (two
// retries, the body sent again each time), each of whose streams the
// upstream sees cancelled.
func TestPerTryTimeoutOnAGRPCCall(t *testing.T) {
	for _, path := range h2Paths {
		t.Run(path.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			up := startCountingUpstream(t, meshconfig.ProtocolGRPC, func(int64) int { return 0 })
			out := retryLaneOn(t, ctx, laneSpec{protocol: meshconfig.ProtocolGRPC, upstreams: []string{up.addr}, h2xnet: path.h2xnet},
				meshconfig.Rule{Retries: &meshconfig.Retries{Attempts: 2, PerTryTimeout: meshconfig.Duration(100 * time.Millisecond)}},
				meshconfig.Destination{})
			up.armed.Store(true)
			c := clientFor(meshconfig.ProtocolGRPC, 5*time.Second)
			req, err := http.NewRequest(http.MethodPost, "http://"+out+"/grpc.health.v1.Health/Check", bytes.NewReader([]byte{0, 0, 0, 0, 0}))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/grpc")
			req.Header.Set("Te", "trailers")
			resp, err := c.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			grpcStatus := resp.Header.Get("Grpc-Status") + resp.Trailer.Get("Grpc-Status")
			grpcMessage := resp.Header.Get("Grpc-Message") + resp.Trailer.Get("Grpc-Message")
			assert.Equal(t, "14", grpcStatus)
			assert.Equal(t, "upstream request timeout", grpcMessage)
			assert.Equal(t, int64(3), up.hits.Load(), "a call with a body is retried, its body sent again")
			require.Eventually(t, func() bool { return up.cancelled.Load() == 3 }, 2*time.Second, 10*time.Millisecond,
				"each timed-out stream was cancelled at the upstream (cancelled %d of 3)", up.cancelled.Load())
		})
	}
}

// TestRetryAvoidsTheHostThatFailedFromMeshcontrol: two endpoints, one
// answering every request 503, least-request balancing (which, between
// two idle hosts, picks either at random) and one retry on 5xx, through
// meshcontrol into a real proxy, over HTTP/1.1 and both HTTP/2 paths.
// meshcontrol asks for Envoy's previous_hosts predicate (as Istio does on
// every retry policy), so every retry goes to the other endpoint: no
// caller sees the 503 and the healthy endpoint got exactly one attempt of
// each request. Before, about half the retries went back to the failing
// endpoint. With that endpoint alone, the retry goes to it.
func TestRetryAvoidsTheHostThatFailedFromMeshcontrol(t *testing.T) {
	cases := []struct {
		name, protocol string
		h2xnet         bool
	}{{"http1", meshconfig.ProtocolHTTP, false}, {"h2-lean", meshconfig.ProtocolHTTP2, false}, {"h2-xnet", meshconfig.ProtocolHTTP2, true}}
	rule := meshconfig.Rule{Retries: &meshconfig.Retries{Attempts: 1, On: "5xx"}}
	dest := meshconfig.Destination{LoadBalancer: meshconfig.LBLeastRequest}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			bad := startCountingUpstream(t, tc.protocol, func(int64) int { return http.StatusServiceUnavailable })
			good := startCountingUpstream(t, tc.protocol, func(int64) int { return http.StatusOK })
			out := retryLaneOn(t, ctx, laneSpec{protocol: tc.protocol, upstreams: []string{bad.addr, good.addr}, h2xnet: tc.h2xnet}, rule, dest)
			bad.armed.Store(true)
			good.armed.Store(true)
			c := clientFor(tc.protocol, 5*time.Second)
			const n = 40
			expectStatus(t, c, "http://"+out+"/r", n, http.StatusOK, "its retry went back to the failing endpoint")
			t.Logf("failing endpoint: %d attempts, healthy: %d", bad.hits.Load(), good.hits.Load())
			assert.Equal(t, int64(n), good.hits.Load(), "the healthy endpoint got each request once")
			assert.Positive(t, bad.hits.Load(), "the balancer sent first attempts to the failing endpoint")
		})
		t.Run(tc.name+"/one endpoint", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			bad := startCountingUpstream(t, tc.protocol, func(int64) int { return http.StatusServiceUnavailable })
			out := retryLaneOn(t, ctx, laneSpec{protocol: tc.protocol, upstreams: []string{bad.addr}, h2xnet: tc.h2xnet}, rule, dest)
			bad.armed.Store(true)
			c := clientFor(tc.protocol, 5*time.Second)
			const n = 5
			expectStatus(t, c, "http://"+out+"/r", n, http.StatusServiceUnavailable, "the one endpoint's 503")
			assert.Equal(t, int64(2*n), bad.hits.Load(), "with one endpoint the retry goes to it")
		})
	}
}

// expectStatus makes n GETs in a row, to prefix followed by 0..n-1, and
// expects each answered with want (why says what a failure means).
func expectStatus(t *testing.T, c *http.Client, prefix string, n, want int, why string) {
	t.Helper()
	for i := range n {
		code, err := getStatus(c, fmt.Sprintf("%s%d", prefix, i))
		require.NoError(t, err, "request %d", i)
		assert.Equal(t, want, code, "request %d: %s", i, why)
	}
}

func getStatus(c *http.Client, url string) (int, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
