package dataplane

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// rdsEdsResources is what an ADS server sends: a listener referencing a
// RouteConfiguration by name (RDS) and an EDS cluster with a separate
// ClusterLoadAssignment.
func rdsEdsResources(t *testing.T, version, listenAddr, routeTo string, endpoints map[string]string) xdsconfig.Resources {
	h := &hcmv3.HttpConnectionManager{StatPrefix: "in",
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{RouteConfigName: "routes"}},
		HttpFilters:    []*hcmv3.HttpFilter{routerFilter()},
		AccessLog: []*accesslogv3.AccessLog{{Name: "envoy.access_loggers.stdout",
			ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: config.MustAny(&streamv3.StdoutAccessLog{})}}}}
	r := xdsconfig.Resources{Version: version,
		Listeners: []*listenerv3.Listener{{Name: "l", Address: addr(t, listenAddr), FilterChains: []*listenerv3.FilterChain{{
			Filters: []*listenerv3.Filter{{Name: "hcm", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: config.MustAny(h)}}}}}}},
		Routes: []*routev3.RouteConfiguration{{Name: "routes", VirtualHosts: []*routev3.VirtualHost{
			vhost([]string{"*"}, prefixRoute("/", routeTo))}}}}
	for name, a := range endpoints {
		r.Clusters = append(r.Clusters, &clusterv3.Cluster{Name: name,
			ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
			EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{ServiceName: name}})
		r.Endpoints = append(r.Endpoints, &endpointv3.ClusterLoadAssignment{ClusterName: name,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: []*endpointv3.LbEndpoint{{
				HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: addr(t, a)}}}}}}})
	}
	return r
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestRDSAndEDSUpdatesReachOpenConnections(t *testing.T) {
	a, b := namedServer(t, "a"), namedServer(t, "b")
	var logs lockedBuf
	p := New(Options{ID: "x", Log: slog.New(slog.DiscardHandler), AccessLog: slog.New(slog.NewJSONHandler(&logs, nil)), H2XNet: testH2XNet})
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	listen := "127.0.0.1:" + freePort(t)
	require.NoError(t, p.Apply(t.Context(), rdsEdsResources(t, "1", listen, "svc", map[string]string{"svc": a})))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}}
	getServer := func() string {
		resp, err := client.Get("http://" + listen + "/")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.Header.Get("X-Server")
	}
	assert.Equal(t, "a", getServer())
	// EDS: the endpoint moves
	require.NoError(t, p.Apply(t.Context(), rdsEdsResources(t, "2", listen, "svc", map[string]string{"svc": b})))
	assert.Equal(t, "b", getServer())
	// RDS: the route now points at another cluster; same client connection
	require.NoError(t, p.Apply(t.Context(), rdsEdsResources(t, "3", listen, "other", map[string]string{"svc": b, "other": a})))
	assert.Equal(t, "a", getServer())
	assert.Equal(t, "3", p.Snapshot().Version)
	// unknown RDS name is rejected
	bad := rdsEdsResources(t, "4", listen, "svc", map[string]string{"svc": a})
	bad.Routes[0].Name = "elsewhere"
	assert.ErrorContains(t, p.Apply(t.Context(), bad), `unknown route_configuration "routes"`)
	// access log lines were written (sampling: all)
	assert.Contains(t, logs.String(), `"msg":"access"`)
	assert.Contains(t, logs.String(), `"status":200`)
}

func TestStalePooledConnectionIsRetriedTransparently(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.Config.IdleTimeout = 30 * time.Millisecond // the upstream closes idle keep-alive connections
	srv.Start()
	t.Cleanup(srv.Close)
	_, pa := staticProxy(t, srv.Listener.Addr().String())
	for range 5 {
		assert.Equal(t, 200, get(t, "http://"+pa+"/", nil).StatusCode)
		time.Sleep(60 * time.Millisecond)
	}
}

// TestWebSocketUpgradeIsTunneled: a static relay lists websocket in its
// upgrade_configs; another upgrade type is refused before any upstream.
func TestWebSocketUpgradeIsTunneled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		if !bytes.Contains(buf[:n], []byte("Upgrade: websocket")) || !bytes.Contains(buf[:n], []byte("Connection: Upgrade")) {
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_, _ = io.Copy(c, c) // echo frames
	}()
	_, pa := staticProxy(t, ln.Addr().String())
	c, err := net.Dial("tcp", pa)
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	require.NoError(t, err)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	head := make([]byte, 0, 256)
	buf := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		_, err := c.Read(buf)
		require.NoError(t, err)
		head = append(head, buf[0])
	}
	assert.Contains(t, string(head), "101 Switching Protocols")
	assert.Contains(t, string(head), "Upgrade: websocket")
	_, err = io.WriteString(c, "frame-bytes")
	require.NoError(t, err)
	got := make([]byte, len("frame-bytes"))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, "frame-bytes", string(got))

	c2, err := net.Dial("tcp", pa)
	require.NoError(t, err)
	defer c2.Close()
	_ = c2.SetDeadline(time.Now().Add(5 * time.Second))
	_, err = io.WriteString(c2, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c2), nil)
	require.NoError(t, err)
	assert.Equal(t, 403, resp.StatusCode, "an upgrade type not in upgrade_configs is refused")
}

var _ = corev3.TrafficDirection_INBOUND
