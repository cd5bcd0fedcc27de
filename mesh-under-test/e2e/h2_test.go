package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// TestH2AndGRPCTakeTheLeanPath runs h2c and gRPC through meshcontrol and
// three real meshproxy processes, with mTLS off and strict (h2 over TLS
// ALPN between the sidecars): the requests arrive, path authorization is
// enforced over HTTP/2, and every proxy served its HTTP/2 connections on
// the lean path (meshproxy_downstream_h2_connections_total{path="lean"}),
// unless started with --h2-fast=false, the fallback, which serves them on
// x/net/http2's server.
func TestH2AndGRPCTakeTheLeanPath(t *testing.T) {
	tests := []struct {
		protocol, mtls string
		args           []string
		path           string
	}{
		{meshconfig.ProtocolHTTP2, meshconfig.MTLSDisable, nil, "lean"},
		{meshconfig.ProtocolHTTP2, meshconfig.MTLSStrict, nil, "lean"},
		{meshconfig.ProtocolGRPC, meshconfig.MTLSDisable, nil, "lean"},
		{meshconfig.ProtocolGRPC, meshconfig.MTLSStrict, nil, "lean"},
		{meshconfig.ProtocolHTTP2, meshconfig.MTLSStrict, []string{"--h2-fast=false"}, "xnet"},
	}
	for _, tt := range tests {
		t.Run(tt.protocol+"/"+tt.mtls+"/"+tt.path, func(t *testing.T) {
			m := newMeshFor(t, tt.protocol, tt.mtls, func(p *meshconfig.Policy) {
				rule := meshconfig.AuthzRule{Paths: []string{"/public", "/grpc.health.v1.Health/Check"}}
				if tt.mtls == meshconfig.MTLSStrict {
					rule.From = []string{idA} // identities exist with mTLS only
				}
				p.Authorization = []meshconfig.Authorization{{Service: "web", Allow: []meshconfig.AuthzRule{rule}}}
			}, tt.args...)
			if tt.protocol == meshconfig.ProtocolGRPC {
				checkGRPC(t, m.outA)
			} else {
				checkH2(t, m)
			}
			for id, admin := range m.admin {
				if id == "client-b" {
					continue // carried nothing
				}
				assert.Positive(t, counterSum(t, admin, "meshproxy_downstream_h2_connections_total", map[string]string{"path": tt.path}),
					"%s served h2 on the %s path", id, tt.path)
				other := map[string]string{"lean": "xnet", "xnet": "lean"}[tt.path]
				assert.Zero(t, counterSum(t, admin, "meshproxy_downstream_h2_connections_total", map[string]string{"path": other}),
					"%s served no h2 connection on the %s path", id, other)
			}
		})
	}
}

// h2cClient speaks HTTP/2 with prior knowledge in clear text.
func h2cClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http2.Transport{AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}}
}

// checkH2: once the configuration is in (a 200 for /public), a denied path
// and a path trick get 403 and never reach the app.
func checkH2(t *testing.T, m *mesh) {
	t.Helper()
	c := h2cClient()
	get := func(path string) (int, string) {
		req, err := http.NewRequest("GET", "http://"+m.outA+path, nil)
		require.NoError(t, err)
		req.Host = "web"
		resp, err := c.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		require.Equal(t, "HTTP/2.0", resp.Proto)
		return resp.StatusCode, string(b)
	}
	require.Eventually(t, func() bool { s, _ := get("/public"); return s == 200 }, 20*time.Second, 50*time.Millisecond,
		"h2 through the mesh")
	s, body := get("/public")
	assert.Equal(t, 200, s)
	assert.Equal(t, "ok", body)
	for _, p := range []string{"/admin", "/public/../admin", "/%61dmin"} {
		s, _ := get(p)
		assert.Equal(t, 403, s, p)
	}
	for _, r := range m.app.seen() {
		assert.Equal(t, "GET /public", r, "only allowed requests reach the app")
	}
}

// checkGRPC: a unary health check through the mesh is served.
func checkGRPC(t *testing.T, addr string) {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithAuthority("web"))
	require.NoError(t, err)
	defer cc.Close()
	hc := healthpb.NewHealthClient(cc)
	var last error
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{})
		last = err
		return err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING
	}, 20*time.Second, 50*time.Millisecond, "gRPC through the mesh: %v", &last)
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := hc.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		require.NoError(t, err)
	}
}
