package dataplane

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meshbench/meshbench/internal/ports"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// --- xDS builders (tests express configuration exactly as a control plane would) ---

func addr(t testing.TB, hostport string) *corev3.Address {
	a, err := config.SocketAddress(hostport)
	require.NoError(t, err)
	return a
}

func staticCluster(t testing.TB, name string, addrs ...string) *clusterv3.Cluster {
	var lbes []*endpointv3.LbEndpoint
	for _, a := range addrs {
		lbes = append(lbes, &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
			Endpoint: &endpointv3.Endpoint{Address: addr(t, a)}}})
	}
	return &clusterv3.Cluster{Name: name, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout: durationpb.New(time.Second),
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: name,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: lbes}}}}
}

func prefixRoute(prefix, cluster string) *routev3.Route {
	return &routev3.Route{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: prefix}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}}}}
}

func vhost(domains []string, routes ...*routev3.Route) *routev3.VirtualHost {
	return &routev3.VirtualHost{Name: domains[0], Domains: domains, Routes: routes}
}

func routerFilter() *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{Name: "envoy.filters.http.router",
		ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: config.MustAny(&routerv3.Router{})}}
}

func httpFilter(name string, m proto.Message) *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{Name: name, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: config.MustAny(m)}}
}

func hcmListener(t testing.TB, name string, dir corev3.TrafficDirection, filters []*hcmv3.HttpFilter, vhs ...*routev3.VirtualHost) *listenerv3.Listener {
	h := &hcmv3.HttpConnectionManager{StatPrefix: name,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{Name: name, VirtualHosts: vhs}},
		HttpFilters:    append(filters, routerFilter())}
	return &listenerv3.Listener{Name: name, Address: addr(t, "127.0.0.1:0"), TrafficDirection: dir,
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.http_connection_manager",
			ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: config.MustAny(h)}}}}}}
}

// startProxy applies r to a new proxy and returns it with the address of
// its first listener.
func startProxy(t testing.TB, r xdsconfig.Resources) (*Proxy, string) {
	t.Helper()
	p := New(Options{ID: "test", Log: slog.New(slog.DiscardHandler), H2XNet: testH2XNet})
	require.NoError(t, p.Apply(context.Background(), r))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return p, p.Addr(r.Listeners[0].GetName())
}

// --- a raw HTTP/1.1 upstream and client that allocate nothing per request,
// so benchmarks measure the proxy, not the harness ---

// rawUpstream answers every request with status and a body of bodySize
// bytes, echoing nothing. It returns its address.
func rawUpstream(t testing.TB, bodySize int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
		itoa(bodySize) + "\r\n\r\n" + strings.Repeat("x", bodySize))
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReaderSize(c, 16<<10)
				req := http1.NewRequest()
				for {
					if err := req.Read(br); err != nil {
						return
					}
					if req.ContentLength > 0 {
						if _, err := br.Discard(int(req.ContentLength)); err != nil {
							return
						}
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func itoa(n int) string { return string(http1.AppendInt(nil, int64(n))) }

// rawClient sends pre-built requests on one keep-alive connection.
type rawClient struct {
	c    net.Conn
	br   *bufio.Reader
	resp *http1.Response
	req  []byte
}

func newRawClient(t testing.TB, proxyAddr, host string, bodySize int) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", proxyAddr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	req := "POST /echo HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: bench\r\nContent-Length: " + itoa(bodySize) +
		"\r\n\r\n" + strings.Repeat("y", bodySize)
	return &rawClient{c: c, br: bufio.NewReaderSize(c, 16<<10), resp: http1.NewResponse(), req: []byte(req)}
}

func (rc *rawClient) do() (int, error) {
	if _, err := rc.c.Write(rc.req); err != nil {
		return 0, err
	}
	if err := rc.resp.Read(rc.br); err != nil {
		return 0, err
	}
	if _, err := rc.br.Discard(int(rc.resp.ContentLength)); err != nil {
		return 0, err
	}
	return rc.resp.Status, nil
}

var _ = io.EOF

type (
	clusterT  = clusterv3.Cluster
	listenerT = listenerv3.Listener
)

type hcmFilter = hcmv3.HttpFilter

// freePort is a port below the ephemeral range (internal/ports), which
// the test's own outgoing connections cannot take before the proxy binds it.
func freePort(t testing.TB) string {
	addr, err := ports.Free()
	require.NoError(t, err)
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func tcpResources(t testing.TB, upstreamAddr string) xdsconfig.Resources {
	tp := &tcpv3.TcpProxy{StatPrefix: "tcp", ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: "db"}}
	l := &listenerv3.Listener{Name: "tcp", Address: addr(t, "127.0.0.1:0"),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.tcp_proxy",
			ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: config.MustAny(tp)}}}}}}
	return xdsconfig.Resources{Clusters: []*clusterv3.Cluster{staticCluster(t, "db", upstreamAddr)}, Listeners: []*listenerv3.Listener{l}}
}

// testH2XNet runs the package's tests on the x/net/http2 path, the
// fallback (MESHPROXY_TEST_H2XNET=1; `make test` runs the HTTP/2 tests
// both ways: the lean default first, then this).
var testH2XNet = os.Getenv("MESHPROXY_TEST_H2XNET") == "1"
