package xds_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	grpcstatus "google.golang.org/grpc/status"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
)

// grpcUpstream is a grpc-go server on 127.0.0.1 whose health Check
// answers every call with code (codes.OK: SERVING), counting the calls
// and keeping each call's request (the service name: the body a retry
// must send again, whole).
type grpcUpstream struct {
	healthpb.UnimplementedHealthServer
	code codes.Code
	hang atomic.Bool // never answer: wait for the call's end
	addr string
	hits atomic.Int64
	mu   sync.Mutex
	got  map[string]int // service name -> calls
}

func startGRPCUpstream(t *testing.T, code codes.Code) *grpcUpstream {
	t.Helper()
	u := &grpcUpstream{code: code, got: map[string]int{}}
	addr, stop := serveGRPC(t, func(g *grpc.Server) { healthpb.RegisterHealthServer(g, u) })
	t.Cleanup(stop)
	u.addr = addr
	return u
}

func (u *grpcUpstream) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	u.hits.Add(1)
	u.mu.Lock()
	u.got[req.GetService()]++
	u.mu.Unlock()
	if u.hang.Load() {
		<-ctx.Done() // the proxy reset the stream (its per-try timeout)
		return nil, ctx.Err()
	}
	if u.code != codes.OK {
		// Returned before any message: grpc-go answers trailers-only, the
		// form Envoy's gRPC retry conditions read.
		return nil, grpcstatus.Error(u.code, "upstream says "+u.code.String())
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

func (u *grpcUpstream) calls(service string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.got[service]
}

// grpcLane is retryLaneOn for gRPC (spec.protocol is set here), and a
// grpc-go client of the proxy's outbound listener.
func grpcLane(t *testing.T, spec laneSpec, rule meshconfig.Rule, dest meshconfig.Destination) healthpb.HealthClient {
	t.Helper()
	spec.protocol = meshconfig.ProtocolGRPC
	out := retryLaneOn(t, t.Context(), spec, rule, dest)
	cc, err := grpc.NewClient("passthrough:///"+out, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return healthpb.NewHealthClient(cc)
}

func check(c healthpb.HealthClient, service string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	return err
}

// counter sums a proxy counter over its labels.
func counter(t *testing.T, m *telemetry.Metrics, name string) float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	require.NoError(t, err)
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, x := range mf.GetMetric() {
				sum += x.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestGRPCRetryOnUnavailableFromMeshcontrol: gRPC unary calls (each with
// a body) through meshcontrol's retry policy into a real proxy, in front
// of two grpc-go servers on 127.0.0.1, one answering every call
// UNAVAILABLE, on both HTTP/2 paths. With `on: unavailable` and one retry
// (previous_hosts sends it to the other server) no caller sees an error,
// and the healthy server got every call once, its body whole (the retry
// sent it again). With `on: 5xx` (no gRPC condition) the UNAVAILABLE
// answers reach the callers. Before, the proxy refused `unavailable` (the
// route never arrived) and the lean path never replayed a body.
func TestGRPCRetryOnUnavailableFromMeshcontrol(t *testing.T) {
	for _, path := range h2Paths {
		for _, tc := range []struct {
			on         string
			wantErrors bool
		}{{"unavailable", false}, {"5xx", true}} {
			t.Run(path.name+"/"+tc.on, func(t *testing.T) {
				bad := startGRPCUpstream(t, codes.Unavailable)
				good := startGRPCUpstream(t, codes.OK)
				c := grpcLane(t, laneSpec{upstreams: []string{bad.addr, good.addr}, h2xnet: path.h2xnet},
					meshconfig.Rule{Retries: &meshconfig.Retries{Attempts: 1, On: tc.on}}, meshconfig.Destination{})
				bad.hits.Store(0)
				good.hits.Store(0)
				const n = 20
				var failed int
				for i := range n {
					svc := "call-" + strings.Repeat("x", i*100) // bodies of many sizes
					if err := check(c, svc); err != nil {
						failed++
						assert.Equal(t, codes.Unavailable, grpcstatus.Code(err), "call %d: %v", i, err)
						continue
					}
					assert.Equal(t, 1, good.calls(svc), "call %d reached the healthy server once, body whole", i)
				}
				t.Logf("on %q: %d of %d calls failed; attempts: unavailable server %d, healthy %d", tc.on, failed, n, bad.hits.Load(), good.hits.Load())
				assert.Positive(t, bad.hits.Load(), "round robin sent calls to the failing server")
				if tc.wantErrors {
					assert.Equal(t, int(bad.hits.Load()), failed, "without a gRPC condition every UNAVAILABLE reached its caller")
					assert.Positive(t, failed)
					return
				}
				assert.Zero(t, failed, "every UNAVAILABLE was retried on the healthy server")
				assert.Equal(t, int64(n), good.hits.Load(), "the healthy server got each call once")
			})
		}
	}
}

// TestGRPCRetryBodyOverTheBufferIsNotRetried: one server answering
// UNAVAILABLE, `on: unavailable` with two retries, on both HTTP/2 paths.
// A small call takes three attempts; a call whose body (1.2 MiB) outgrows
// the retry buffer (Envoy's default, 1 MiB) takes one, its caller gets the
// UNAVAILABLE, and the proxy counts it in
// meshproxy_upstream_retries_abandoned_total.
func TestGRPCRetryBodyOverTheBufferIsNotRetried(t *testing.T) {
	for _, path := range h2Paths {
		t.Run(path.name, func(t *testing.T) {
			bad := startGRPCUpstream(t, codes.Unavailable)
			m := telemetry.NewMetrics()
			c := grpcLane(t, laneSpec{upstreams: []string{bad.addr}, h2xnet: path.h2xnet, metrics: m},
				meshconfig.Rule{Retries: &meshconfig.Retries{Attempts: 2, On: "unavailable"}}, meshconfig.Destination{})
			bad.hits.Store(0)
			assert.Equal(t, codes.Unavailable, grpcstatus.Code(check(c, "small")))
			assert.Equal(t, 3, bad.calls("small"), "a small body is sent three times (two retries)")
			assert.Zero(t, counter(t, m, "meshproxy_upstream_retries_abandoned_total"))

			big := strings.Repeat("b", 1200<<10)
			assert.Equal(t, codes.Unavailable, grpcstatus.Code(check(c, big)))
			assert.Equal(t, 1, bad.calls(big), "a body over the retry buffer is not retried")
			assert.Equal(t, float64(1), counter(t, m, "meshproxy_upstream_retries_abandoned_total"))
			assert.Equal(t, int64(4), bad.hits.Load())
		})
	}
}

// TestGRPCRetriesOnAServerAlwaysUnavailableAreBounded: adversarial, on
// both HTTP/2 paths: a server that answers UNAVAILABLE for ever. One call
// at a time takes exactly num_retries+1 attempts. Twenty calls at once,
// each allowed five retries, under a retry budget of one retry in flight
// (minRetryConcurrency 1, 0%): every call fails, and at least one retry
// per call was refused (without the budget: 120 attempts).
func TestGRPCRetriesOnAServerAlwaysUnavailableAreBounded(t *testing.T) {
	for _, path := range h2Paths {
		t.Run(path.name, func(t *testing.T) {
			bad := startGRPCUpstream(t, codes.Unavailable)
			c := grpcLane(t, laneSpec{upstreams: []string{bad.addr}, h2xnet: path.h2xnet},
				meshconfig.Rule{Retries: &meshconfig.Retries{Attempts: 5, On: "unavailable,cancelled"}},
				meshconfig.Destination{CircuitBreaker: &meshconfig.CircuitBreaker{RetryBudgetPercent: 0.001, MinRetryConcurrency: 1}})
			bad.hits.Store(0)
			for i := range 3 {
				assert.Equal(t, codes.Unavailable, grpcstatus.Code(check(c, "one")), "call %d", i)
			}
			assert.Equal(t, int64(3*6), bad.hits.Load(), "one call at a time: six attempts each (five retries)")

			bad.hits.Store(0)
			const k = 20
			var wg sync.WaitGroup
			var failed atomic.Int64
			for range k {
				wg.Go(func() {
					if grpcstatus.Code(check(c, "many")) == codes.Unavailable {
						failed.Add(1)
					}
				})
			}
			wg.Wait()
			t.Logf("%d calls at once: %d attempts", k, bad.hits.Load())
			assert.Equal(t, int64(k), failed.Load())
			assert.LessOrEqual(t, bad.hits.Load(), int64(k*6-k), "the budget refused at least one retry per call")
			assert.GreaterOrEqual(t, bad.hits.Load(), int64(k), "every call was sent")
		})
	}
}

// TestOutlierDetectionCountsGRPCErrorsAndPerTryTimeouts: outlier detection
// (consecutive5xx 2) through meshcontrol into a real proxy in front of two
// grpc-go servers, on both HTTP/2 paths, counting as Envoy does without
// split_external_local_origin_errors. A server answering UNAVAILABLE
// (trailers-only: Envoy counts it as a 503) is ejected after its second
// call, and every later call succeeds; before, the proxy counted the
// response's HTTP 200 and never ejected it. A server that never answers,
// under a 100 ms per-try timeout and one retry on reset: each timed-out
// attempt counts as a 504 (Envoy's LocalOriginTimeout), so it is ejected
// after two and later calls go straight to the healthy server; before,
// a per-try timeout counted nothing and every other call waited it out.
func TestOutlierDetectionCountsGRPCErrorsAndPerTryTimeouts(t *testing.T) {
	od := meshconfig.Destination{OutlierDetection: &meshconfig.OutlierDetection{Consecutive5xx: 2,
		BaseEjectionTime: meshconfig.Duration(30 * time.Second), MaxEjectionPercent: 50}}
	for _, path := range h2Paths {
		t.Run(path.name+"/unavailable", func(t *testing.T) {
			bad := startGRPCUpstream(t, codes.Unavailable)
			good := startGRPCUpstream(t, codes.OK)
			c := grpcLane(t, laneSpec{upstreams: []string{bad.addr, good.addr}, h2xnet: path.h2xnet},
				meshconfig.Rule{}, od)
			bad.hits.Store(0)
			failed := 0
			for range 20 {
				if check(c, "svc") != nil {
					failed++
				}
			}
			assert.Equal(t, int64(2), bad.hits.Load(), "ejected after two UNAVAILABLE answers")
			assert.Equal(t, 2, failed, "only the calls before the ejection failed")
		})
		t.Run(path.name+"/per-try timeout", func(t *testing.T) {
			hung := startGRPCUpstream(t, codes.OK)
			hung.hang.Store(true)
			good := startGRPCUpstream(t, codes.OK)
			c := grpcLane(t, laneSpec{upstreams: []string{hung.addr, good.addr}, h2xnet: path.h2xnet},
				meshconfig.Rule{Retries: &meshconfig.Retries{Attempts: 1, On: "reset", PerTryTimeout: meshconfig.Duration(100 * time.Millisecond)}}, od)
			hung.hits.Store(0)
			for i := range 20 {
				assert.NoError(t, check(c, "svc"), "call %d: the timed-out attempt was retried", i)
			}
			assert.Equal(t, int64(2), hung.hits.Load(), "ejected after two per-try timeouts")
		})
	}
}
