package dataplane

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func h2cClient() *http.Client {
	return &http.Client{Transport: &http2.Transport{AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}}
}

func TestH2CForwardingWithTrailers(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Trailer", "X-Checksum")
		w.Header().Set("X-Proto", r.Proto)
		_, _ = w.Write(body)
		w.Header().Set("X-Checksum", "42")
	})
	srv := &http.Server{Handler: h2c.NewHandler(h, &http2.Server{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	_, pa := staticProxy(t, ln.Addr().String())
	resp, err := h2cClient().Post("http://"+pa+"/h2", "text/plain", stringsReader("over h2c"))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "HTTP/2.0", resp.Proto)
	assert.Equal(t, "HTTP/2.0", resp.Header.Get("X-Proto"), "upstream spoke h2 too")
	assert.Equal(t, "over h2c", string(body))
	assert.Equal(t, "42", resp.Trailer.Get("X-Checksum"))
}

func TestGRPCUnaryStreamingAndStatusThroughProxy(t *testing.T) {
	hs := health.NewServer()
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = gs.Serve(ln) }()
	t.Cleanup(gs.Stop)
	hs.SetServingStatus("svc", healthpb.HealthCheckResponse_NOT_SERVING)

	_, pa := staticProxy(t, ln.Addr().String())
	cc, err := grpc.NewClient(pa, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer cc.Close()
	client := healthpb.NewHealthClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// unary
	r, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "svc"})
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, r.GetStatus())
	// error status travels in trailers
	_, err = client.Check(ctx, &healthpb.HealthCheckRequest{Service: "unknown"})
	assert.Equal(t, codes.NotFound, status.Code(err))
	// server streaming: each status change arrives as its own message
	stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: "svc"})
	require.NoError(t, err)
	m, err := stream.Recv()
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, m.GetStatus())
	hs.SetServingStatus("svc", healthpb.HealthCheckResponse_SERVING)
	m, err = stream.Recv()
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_SERVING, m.GetStatus())
}

// TestGRPCOverMTLSBetweenSidecars: h2c from the client, h2 over mTLS (ALPN)
// between the sidecars, h2c to the app.
func TestGRPCOverMTLSBetweenSidecars(t *testing.T) {
	hs := health.NewServer()
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = gs.Serve(ln) }()
	t.Cleanup(gs.Stop)
	outAddr, _, _, _ := meshPairTo(t, "strict", ln.Addr().String())
	cc, err := grpc.NewClient(outAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_SERVING, r.GetStatus())
}

func TestTCPPassthrough(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); _ = c.Close() }() // echo
		}
	}()
	res := tcpResources(t, ln.Addr().String())
	_, pa := startProxy(t, res)
	c, err := net.Dial("tcp", pa)
	require.NoError(t, err)
	defer c.Close()
	for _, msg := range []string{"not http at all\n", "\x00\x01binary\xff"} {
		_, err = io.WriteString(c, msg)
		require.NoError(t, err)
		buf := make([]byte, len(msg))
		_, err = io.ReadFull(c, buf)
		require.NoError(t, err)
		assert.Equal(t, msg, string(buf))
	}
}

// TestH2ClientToHTTP1Cluster: a cluster without http2_protocol_options gets
// HTTP/1.1 (Envoy's default) even from an h2 client; chunked responses are
// de-chunked and their trailers arrive as HTTP/2 trailers. gRPC to the same
// cluster still goes over h2.
func TestH2ClientToHTTP1Cluster(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Proto", r.Proto)
		if r.URL.Path == "/chunked" {
			w.Header().Set("Trailer", "X-Sum")
			_, _ = w.Write([]byte("a"))
			w.(http.Flusher).Flush()
			_, _ = w.Write(body)
			w.Header().Set("X-Sum", "7")
			return
		}
		_, _ = w.Write(body)
	})
	hs := health.NewServer()
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			gs.ServeHTTP(w, r)
			return
		}
		h(w, r)
	})
	srv := &http.Server{Handler: h2c.NewHandler(mux, &http2.Server{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, pa := startProxy(t, oneRoute(t, prefixRoute("/", "up"), nil, staticCluster(t, "up", ln.Addr().String())))

	client := h2cClient()
	for _, path := range []string{"/plain", "/chunked"} {
		resp, err := client.Post("http://"+pa+path, "text/plain", strings.NewReader("body"))
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, "HTTP/2.0", resp.Proto, path)
		assert.Equal(t, "HTTP/1.1", resp.Header.Get("X-Proto"), path)
		if path == "/chunked" {
			assert.Equal(t, "abody", string(b))
			assert.Equal(t, "7", resp.Trailer.Get("X-Sum"))
		} else {
			assert.Equal(t, "body", string(b))
		}
	}
	cc, err := grpc.NewClient(pa, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_SERVING, r.GetStatus())
}
