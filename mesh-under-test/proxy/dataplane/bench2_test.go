package dataplane

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid/localca"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// BenchmarkH1RoundTripMTLS is the standard case through two sidecars with
// mTLS between them: client -> outbound proxy =mTLS=> inbound proxy -> app.
func BenchmarkH1RoundTripMTLS(b *testing.B) {
	up := rawUpstream(b, 1024)
	ca, err := localca.New(24 * time.Hour)
	require.NoError(b, err)
	dir := b.TempDir()
	cf := writeCerts(b, ca, dir, clientID)
	sf := writeCerts(b, ca, dir, serverID)
	inAddr := "127.0.0.1:" + freePort(b)
	for _, r := range []func() (xdsconfig.Resources, error){
		func() (xdsconfig.Resources, error) {
			return config.Static(nil, []config.Mapping{{Listen: inAddr, Upstream: up}},
				&config.StaticTLS{CertFile: sf.cert, KeyFile: sf.key, CAFile: sf.ca})
		},
	} {
		res, err := r()
		require.NoError(b, err)
		startProxy(b, res)
	}
	b.Run("two-sidecars-mtls", func(b *testing.B) {
		res, err := config.Static([]config.Mapping{{Listen: "127.0.0.1:0", Upstream: inAddr}}, nil,
			&config.StaticTLS{CertFile: cf.cert, KeyFile: cf.key, CAFile: cf.ca})
		require.NoError(b, err)
		_, pa := startProxy(b, res)
		benchRaw(b, pa)
	})
	b.Run("two-sidecars-plaintext", func(b *testing.B) {
		res, err := config.Static(nil, []config.Mapping{{Listen: "127.0.0.1:0", Upstream: up}}, nil)
		require.NoError(b, err)
		_, in2 := startProxy(b, res)
		res, err = config.Static([]config.Mapping{{Listen: "127.0.0.1:0", Upstream: in2}}, nil, nil)
		require.NoError(b, err)
		_, pa := startProxy(b, res)
		benchRaw(b, pa)
	})
}

// BenchmarkH2RoundTrip sends 1 KB POSTs over one h2c client connection to
// an h2c upstream, directly and through the proxy, side by side in one
// run: the proxy's own cost is the difference (allocs/op exactly, ns/op
// as the machine allows).
func BenchmarkH2RoundTrip(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 1024)
	srv := &http.Server{Handler: h2c.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write(payload)
	}), &http2.Server{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	for _, bc := range []struct{ name, addr string }{
		{"direct", ln.Addr().String()},
		{"meshproxy", benchProxy(b, ln.Addr().String(), false)},
		{"meshproxy-h2fast", benchProxy(b, ln.Addr().String(), true)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			url := "http://" + bc.addr + "/h2"
			client := h2cClient()
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Post(url, "application/octet-stream", bytes.NewReader(payload))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		})
	}
}

// staticH2Proxy starts a static proxy in front of upstream (an HTTP/2-capable
// cluster, as --outbound makes), on the lean h2 path when h2fast.
func staticH2Proxy(t testing.TB, upstream string, h2fast bool) (*Proxy, string) {
	res, err := config.Static([]config.Mapping{{Listen: "127.0.0.1:0", Upstream: upstream}}, nil, nil)
	require.NoError(t, err)
	p := New(Options{ID: "bench", Log: slog.New(slog.DiscardHandler), H2XNet: !h2fast})
	require.NoError(t, p.Apply(context.Background(), res))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return p, p.Addr(res.Listeners[0].GetName())
}

func benchProxy(b *testing.B, upstream string, h2fast bool) string {
	_, addr := staticH2Proxy(b, upstream, h2fast)
	return addr
}

// BenchmarkGRPCUnary sends unary gRPC health checks over one client
// connection, directly and through the proxy on both h2 paths.
func BenchmarkGRPCUnary(b *testing.B) {
	hs := health.NewServer()
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	go func() { _ = gs.Serve(ln) }()
	b.Cleanup(gs.Stop)
	for _, bc := range []struct{ name, addr string }{
		{"direct", ln.Addr().String()},
		{"meshproxy", benchProxy(b, ln.Addr().String(), false)},
		{"meshproxy-h2fast", benchProxy(b, ln.Addr().String(), true)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cc, err := grpc.NewClient(bc.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			require.NoError(b, err)
			defer cc.Close()
			client := healthpb.NewHealthClient(cc)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
