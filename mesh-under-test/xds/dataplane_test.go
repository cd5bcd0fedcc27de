package xds_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/internal/ports"
	"github.com/meshbench/meshbench/mesh-under-test/control/app"
	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/certrotate"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/dataplane"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
	"github.com/meshbench/meshbench/mesh-under-test/xds"
)

// freeAddr is a port below the ephemeral range (internal/ports), which
// the test's own outgoing connections cannot take before the proxy binds it.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := ports.Free()
	require.NoError(t, err)
	return addr
}

// startProxy runs a real meshproxy data plane fed by xDS, with workload
// certificates from meshcontrol's CA.
func startProxy(t *testing.T, ctx context.Context, addr, id string) *xds.Client {
	t.Helper()
	c, _ := startProxyTTL(t, ctx, addr, id, 0)
	return c
}

func startProxyTTL(t *testing.T, ctx context.Context, addr, id string, ttl time.Duration) (*xds.Client, *certrotate.Rotator) {
	t.Helper()
	return startProxyOn(t, ctx, addr, id, ttl, false)
}

// startProxyOn is startProxyTTL with the HTTP/2 path chosen: h2xnet is
// meshproxy --h2-fast=false (x/net/http2's Server and Transport).
func startProxyOn(t *testing.T, ctx context.Context, addr, id string, ttl time.Duration, h2xnet bool) (*xds.Client, *certrotate.Rotator) {
	t.Helper()
	return startProxyWith(t, ctx, addr, id, ttl, h2xnet, telemetry.NewMetrics())
}

// startProxyWith is startProxyOn with the proxy's metrics, for a test that
// reads what the proxy counted.
func startProxyWith(t *testing.T, ctx context.Context, addr, id string, ttl time.Duration, h2xnet bool, m *telemetry.Metrics) (*xds.Client, *certrotate.Rotator) {
	t.Helper()
	conn, err := grpcwire.New(grpcwire.Options{Addr: addr})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	rot := certrotate.New(certrotate.Options{Conn: conn, NodeID: id, TTL: ttl, Token: func() (string, error) { return "t0ken", nil }})
	require.NoError(t, rot.Start(ctx))
	p := dataplane.New(dataplane.Options{ID: id, Log: slog.New(slog.DiscardHandler), Metrics: m,
		AccessLog: slog.New(slog.DiscardHandler), H2XNet: h2xnet})
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Shutdown(sctx)
	})
	c := xds.New(xds.Options{Addr: addr, NodeID: id, Certs: rot, BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
	run(t, ctx, c, p)
	return c, rot
}

// meshLaneOnXDS serves an echo app and starts meshcontrol on a mesh file
// with both sidecars and mTLS in front of it. It returns the client
// proxy's outbound address (where requests go once the proxies run), the
// mesh file (to start meshcontrol again on) and the control plane.
func meshLaneOnXDS(t *testing.T, ctx context.Context) (outbound, meshPath string, inst *app.Instance) {
	t.Helper()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "echo") }))
	t.Cleanup(echo.Close)
	outbound, inbound := freeAddr(t), freeAddr(t)
	mesh, err := meshconfig.Lane(meshconfig.LaneOptions{Mode: meshconfig.ModeBoth, MTLS: true,
		ClientOutbound: outbound, ServerInbound: inbound, App: echo.Listener.Addr().String(), Revision: 1})
	require.NoError(t, err)
	meshPath = filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, mesh.WriteFile(meshPath))
	return outbound, meshPath, startControl(t, ctx, meshPath, "127.0.0.1:0")
}

// TestDataPathSurvivesControlPlaneRestart runs client app -> client proxy
// -> (mTLS) -> server proxy -> echo app entirely on xDS, restarts
// meshcontrol under steady traffic, and requires that no request fails.
func TestDataPathSurvivesControlPlaneRestart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outbound, path, inst := meshLaneOnXDS(t, ctx)
	addr := inst.Addr()

	client := startProxy(t, ctx, addr, "client-proxy")
	server := startProxy(t, ctx, addr, "server-proxy")
	get := func() error {
		resp, err := http.Get("http://" + outbound + "/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(body) != "echo" {
			return fmt.Errorf("status %d body %q", resp.StatusCode, body)
		}
		return nil
	}
	require.Eventually(t, func() bool { return get() == nil }, 10*time.Second, 20*time.Millisecond, "mesh lane serves over xDS")

	var ok, failed atomic.Int64
	var lastErr atomic.Value
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := get(); err != nil {
				failed.Add(1)
				lastErr.Store(err.Error())
			} else {
				ok.Add(1)
			}
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, inst.Stop())
	time.Sleep(500 * time.Millisecond) // proxies run without a control plane
	inst2 := startControl(t, ctx, path, addr)
	defer inst2.Stop()
	require.Eventually(t, func() bool { return len(inst2.Server.Connected()) == 2 }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-done

	assert.Zero(t, failed.Load(), "failed requests (last: %v)", lastErr.Load())
	assert.Greater(t, ok.Load(), int64(50))
	assert.GreaterOrEqual(t, client.Stats().Reconnects, int64(1))
	assert.GreaterOrEqual(t, server.Stats().Reconnects, int64(1))
	assert.Zero(t, client.Stats().Nacks+server.Stats().Nacks, "the proxy accepts everything meshcontrol sends")
}

// TestCertificateRotationOnDataPath issues 2-second certificates and keeps
// traffic flowing (new connections every request) across rotations.
func TestCertificateRotationOnDataPath(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outbound, _, inst := meshLaneOnXDS(t, ctx)
	defer inst.Stop()
	client, crot := startProxyTTL(t, ctx, inst.Addr(), "client-proxy", 2*time.Second)
	server, srot := startProxyTTL(t, ctx, inst.Addr(), "server-proxy", 2*time.Second)

	httpc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	get := func() error {
		resp, err := httpc.Get("http://" + outbound + "/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	require.Eventually(t, func() bool { return get() == nil }, 10*time.Second, 20*time.Millisecond)
	applies0 := client.Stats().Applies + server.Stats().Applies
	failed, ok := 0, 0
	for deadline := time.Now().Add(2500 * time.Millisecond); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if err := get(); err != nil {
			failed++
			t.Log(err)
		} else {
			ok++
		}
	}
	assert.Zero(t, failed)
	assert.Greater(t, ok, 50)
	assert.GreaterOrEqual(t, crot.Issued(), 2, "client certificate rotated")
	assert.GreaterOrEqual(t, srot.Issued(), 2, "server certificate rotated")
	assert.Greater(t, client.Stats().Applies+server.Stats().Applies, applies0, "rotated certificates were applied")
}
