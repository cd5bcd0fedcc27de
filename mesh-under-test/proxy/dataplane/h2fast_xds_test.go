package dataplane

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	httpoptsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// h2StaticCluster is staticCluster with http2_protocol_options (an h2
// upstream, as meshcontrol writes for http2 and grpc services).
func h2StaticCluster(t testing.TB, name, addr string) *clusterv3.Cluster {
	c := staticCluster(t, name, addr)
	c.TypedExtensionProtocolOptions = map[string]*anypb.Any{"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": config.MustAny(&httpoptsv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &httpoptsv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpoptsv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpoptsv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}}}}})}
	return c
}

// fastXDS starts a lean-path proxy on xDS resources: one listener routing
// "/" to cl, the HCM adjusted by set.
func fastXDS(t *testing.T, cl *clusterv3.Cluster, route *routev3.Route, set func(*hcmv3.HttpConnectionManager)) (*Proxy, string) {
	l := hcmListener(t, "fast", corev3.TrafficDirection_OUTBOUND, nil, vhost([]string{"*"}, route))
	if set != nil {
		f := l.GetFilterChains()[0].GetFilters()[0]
		h := &hcmv3.HttpConnectionManager{}
		require.NoError(t, f.GetTypedConfig().UnmarshalTo(h))
		set(h)
		f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: config.MustAny(h)}
	}
	p := New(Options{ID: "fast", Log: slog.New(slog.DiscardHandler)})
	require.NoError(t, p.Apply(context.Background(), xdsconfig.Resources{Clusters: []*clusterT{cl}, Listeners: []*listenerT{l}}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return p, p.Addr("fast")
}

func fastConns(p *Proxy) int {
	n := 0
	p.fast.Range(func(any, any) bool { n++; return true })
	return n
}

// TestH2FastBridgeStaysOnTheOldPath: routes to an HTTP/1.1 cluster (the
// h2 -> HTTP/1.1 bridge) keep the connection on the x/net/http2 path.
func TestH2FastBridgeStaysOnTheOldPath(t *testing.T) {
	up, _ := echoServer(t)
	p, pa := fastXDS(t, staticCluster(t, "up", up.Listener.Addr().String()), prefixRoute("/", "up"), nil)
	resp, err := h2cClient().Get("http://" + pa + "/x")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Zero(t, fastConns(p), "bridged connections are not on the lean path")
}

// TestH2FastRouteTimeoutAndStreamIdle: the route timeout answers 504
// before the response; a request body that stops for stream_idle_timeout
// gets 408; both on the lean path.
func TestH2FastRouteTimeoutAndStreamIdle(t *testing.T) {
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(time.Second)
		}
		_, _ = io.Copy(io.Discard, r.Body)
	})
	r := prefixRoute("/", "up")
	r.GetRoute().Timeout = durationpb.New(100 * time.Millisecond)
	p, pa := fastXDS(t, h2StaticCluster(t, "up", up), r, func(h *hcmv3.HttpConnectionManager) {
		h.StreamIdleTimeout = durationpb.New(300 * time.Millisecond)
	})
	t0 := time.Now()
	resp, err := h2cClient().Get("http://" + pa + "/slow")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 504, resp.StatusCode)
	assert.Less(t, time.Since(t0), 800*time.Millisecond)
	assert.Equal(t, 1, fastConns(p))

	r.GetRoute().Timeout = durationpb.New(0) // no route timeout: only the idle one cuts
	_, pa = fastXDS(t, h2StaticCluster(t, "up", up), r, func(h *hcmv3.HttpConnectionManager) {
		h.StreamIdleTimeout = durationpb.New(300 * time.Millisecond)
	})
	_, fr := rawH2(t, pa)
	require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: postHeaders(t, "/body"), EndHeaders: true}))
	require.NoError(t, fr.WriteData(1, false, []byte("a")))
	t0 = time.Now()
	status, _ := h2StreamOutcome(t, fr, 1)
	assert.Equal(t, "408", status)
	assert.Greater(t, time.Since(t0), 150*time.Millisecond)
}

// TestH2FastShutdownSendsGoAway: Shutdown tells lean-path clients to go
// away (GOAWAY NO_ERROR) and closes their idle connections.
func TestH2FastShutdownSendsGoAway(t *testing.T) {
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) {})
	p, pa := fastProxy(t, up)
	_, fr := rawH2(t, pa)
	time.Sleep(50 * time.Millisecond)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	}()
	for {
		f, err := fr.ReadFrame()
		require.NoError(t, err, "no GOAWAY before the connection closed")
		if g, ok := f.(*http2.GoAwayFrame); ok {
			assert.Equal(t, http2.ErrCodeNo, g.ErrCode)
			return
		}
	}
}
