package otlpsink_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/meshbench/meshbench/harness/otlpsink"
	"github.com/meshbench/meshbench/internal/ports"
	"github.com/meshbench/meshbench/mesh-under-test/control/app"
	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/certrotate"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/dataplane"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
	"github.com/meshbench/meshbench/mesh-under-test/xds"
)

// freeAddr is a port for a proxy's listener, from below the ephemeral
// range (internal/ports): a 127.0.0.1:0 port, closed and handed on, could
// be taken as the source port of one of the test's own outgoing
// connections before the proxy binds it.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := ports.Free()
	require.NoError(t, err)
	return addr
}

// lane runs load -> client sidecar -> (mTLS) -> server sidecar -> echo
// the way a user configures it: a mesh file with a telemetry.tracing
// section, meshcontrol translating it, real proxies on xDS. It returns the
// client sidecar's outbound address once requests pass.
func lane(t *testing.T, sink *otlpsink.Sink, percent float64) string {
	addr, _ := laneMetrics(t, sink, percent)
	return addr
}

func laneMetrics(t *testing.T, sink *otlpsink.Sink, percent float64) (string, []*telemetry.Metrics) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "echo") }))
	t.Cleanup(echo.Close)
	outbound := freeAddr(t)
	mesh, err := meshconfig.Lane(meshconfig.LaneOptions{Mode: meshconfig.ModeBoth, MTLS: true,
		ClientOutbound: outbound, ServerInbound: freeAddr(t), App: echo.Listener.Addr().String(), Revision: 1})
	require.NoError(t, err)
	mesh.Telemetry = &meshconfig.Telemetry{Tracing: &meshconfig.Tracing{Collector: sink.Addr(), SamplingPercent: &percent}}
	path := filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, mesh.WriteFile(path))
	inst, err := app.Start(ctx, app.Config{MeshFile: path, Listen: "127.0.0.1:0", Admin: "127.0.0.1:0", BootstrapToken: "t0ken"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = inst.Stop() })
	var ms []*telemetry.Metrics
	for _, id := range []string{"client-proxy", "server-proxy"} {
		ms = append(ms, startProxy(t, ctx, inst.Addr(), id))
	}
	require.Eventually(t, func() bool { return get(outbound, "") == nil }, 15*time.Second, 20*time.Millisecond, "mesh lane serves")
	return outbound, ms
}

func startProxy(t *testing.T, ctx context.Context, addr, id string) *telemetry.Metrics {
	ctx, cancel := context.WithCancel(ctx)
	conn, err := grpcwire.New(grpcwire.Options{Addr: addr})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	rot := certrotate.New(certrotate.Options{Conn: conn, NodeID: id, Token: func() (string, error) { return "t0ken", nil }})
	require.NoError(t, rot.Start(ctx))
	m := telemetry.NewMetrics()
	p := dataplane.New(dataplane.Options{ID: id, Metrics: m, AccessLog: slog.New(slog.DiscardHandler)})
	c := xds.New(xds.Options{Addr: addr, NodeID: id, Certs: rot, BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx, p) }()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = p.Shutdown(sctx) // flushes the span exporter
		cancel()
		<-done
	})
	return m
}

func get(addr, traceparent string) error {
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "echo" {
		return fmt.Errorf("status %d body %q", resp.StatusCode, body)
	}
	return nil
}

// send makes n requests over 8 connections, each with the given
// traceparent ("" none).
func send(t *testing.T, addr string, n int, traceparent string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				if err := get(addr, traceparent); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// TestSpansAcrossTwoSidecars: at 100% every request leaves two spans in
// one trace: the client sidecar's CLIENT span as the root and the server
// sidecar's SERVER span its child, exactly as the propagated traceparent
// says; a caller's own context is the client span's parent.
func TestSpansAcrossTwoSidecars(t *testing.T) {
	sink, err := otlpsink.Start("127.0.0.1:0")
	require.NoError(t, err)
	defer sink.Close()
	addr, ms := laneMetrics(t, sink, 100)
	require.Eventually(t, func() bool { return sink.Received() >= 2 }, 10*time.Second, 20*time.Millisecond,
		"exported %d/%d dropped %d/%d", ms[0].Spans.Exported.Load(), ms[1].Spans.Exported.Load(), ms[0].Spans.Dropped.Load(), ms[1].Spans.Dropped.Load())
	settle(sink) // the warm-up's server span may still be in a batch
	sink.Reset()

	send(t, addr, 200, "")
	require.Eventually(t, func() bool { return sink.Received() >= 400 }, 15*time.Second, 50*time.Millisecond)
	time.Sleep(2 * otlpsinkInterval) // nothing more may come
	r := sink.Check(2, false)
	assert.Equal(t, otlpsink.Report{Spans: 400, Traces: 200, Complete: 200}, r, r.String())
	byID := map[string]otlpsink.Span{}
	for _, s := range sink.Spans() {
		byID[s.SpanID] = s
	}
	for _, s := range sink.Spans() {
		if s.ParentID == "" {
			assert.Equal(t, tracepb.Span_SPAN_KIND_CLIENT, s.Kind)
			assert.Equal(t, "client-proxy", s.Service)
			continue
		}
		assert.Equal(t, tracepb.Span_SPAN_KIND_SERVER, s.Kind)
		assert.Equal(t, "server-proxy", s.Service)
		assert.Equal(t, "client-proxy", byID[s.ParentID].Service, "the server span's parent is the client sidecar's span")
	}

	// The caller's context: its span is the client sidecar span's parent.
	sink.Reset()
	in := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	send(t, addr, 10, in)
	require.Eventually(t, func() bool { return sink.Received() >= 20 }, 15*time.Second, 50*time.Millisecond)
	r = sink.Check(0, false)
	assert.Equal(t, 1, r.Traces)
	assert.Equal(t, 10, r.BrokenLinks, "the ten client spans' parent is the caller's span, not exported")
	r = sink.Check(20, true)
	assert.Equal(t, 0, r.BrokenLinks, "every server span's parent is a client span of the trace")
	for _, s := range sink.Spans() {
		assert.Equal(t, "0af7651916cd43dd8448eb211c80319c", s.TraceID)
		if s.Kind == tracepb.Span_SPAN_KIND_CLIENT {
			assert.Equal(t, "b7ad6b7169203331", s.ParentID)
		}
	}
}

const otlpsinkInterval = telemetry.DefaultInterval

// settle waits until the proxies' batches are flushed: no span for longer
// than two export intervals.
func settle(sink *otlpsink.Sink) {
	sink.Settle(context.Background(), 2*otlpsinkInterval, 10*time.Second)
}

// TestSamplingHonoursTheIncomingFlag: at 0% no new trace is sampled, but
// a request that arrives sampled is traced through both sidecars; one that
// arrives unsampled is not traced at 100%.
func TestSamplingHonoursTheIncomingFlag(t *testing.T) {
	for _, tc := range []struct {
		percent     float64
		traceparent string
		want        int
	}{
		{0, "", 0},
		{0, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 40},
		{100, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", 0},
	} {
		t.Run(fmt.Sprintf("%v%%,%q", tc.percent, tc.traceparent), func(t *testing.T) {
			sink, err := otlpsink.Start("127.0.0.1:0")
			require.NoError(t, err)
			defer sink.Close()
			addr := lane(t, sink, tc.percent)
			settle(sink)
			sink.Reset()
			send(t, addr, 20, tc.traceparent)
			if tc.want > 0 {
				require.Eventually(t, func() bool { return sink.Received() >= tc.want }, 15*time.Second, 50*time.Millisecond)
			}
			time.Sleep(3 * otlpsinkInterval)
			assert.Equal(t, tc.want, sink.Received())
		})
	}
}

// TestSamplingRateWithinBinomialBounds: 10% of 1000 new traces, each two
// spans; the trace count inside the 99.9% binomial interval (z = 3.29).
func TestSamplingRateWithinBinomialBounds(t *testing.T) {
	sink, err := otlpsink.Start("127.0.0.1:0")
	require.NoError(t, err)
	defer sink.Close()
	addr := lane(t, sink, 10)
	settle(sink)
	sink.Reset()
	const n, p = 1000, 0.10
	send(t, addr, n, "")
	time.Sleep(3 * otlpsinkInterval)
	r := sink.Check(2, false)
	lo, hi := binomial99_9(n, p)
	assert.GreaterOrEqual(t, float64(r.Traces), lo, r.String())
	assert.LessOrEqual(t, float64(r.Traces), hi, r.String())
	assert.Equal(t, r.Traces, r.Complete, "every sampled trace has both spans: the server sidecar honours the flag")
}
