package dataplane

import (
	"net"
	"net/http"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// abortAny is a fault that answers every request with status: each level
// of the test configures a different status, so the reply names the level
// whose configuration won.
func abortAny(status uint32) *anypb.Any {
	return config.MustAny(&faultv3.HTTPFault{Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_HttpStatus{HttpStatus: status}}})
}

func perFilter(a *anypb.Any) map[string]*anypb.Any { return map[string]*anypb.Any{"f": a} }

// TestPerFilterConfigPrecedence: Envoy reads a filter's configuration from
// the HCM, the route configuration, the virtual host, the route and the
// weighted cluster; the most specific wins, and FilterConfig / HttpFilter
// disabled turn a filter off (and on) per level. Over HTTP/1.1 and HTTP/2.
func TestPerFilterConfigPrecedence(t *testing.T) {
	up := rawUpstream(t, 0)
	disabled := config.MustAny(&routev3.FilterConfig{Disabled: true})
	wcRoute := prefixRoute("/wc", "c")
	wcRoute.Action = &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_WeightedClusters{
		WeightedClusters: &routev3.WeightedCluster{Clusters: []*routev3.WeightedCluster_ClusterWeight{
			{Name: "c", Weight: wrapperspb.UInt32(1), TypedPerFilterConfig: perFilter(abortAny(504))}}}}}}
	wcRoute.TypedPerFilterConfig = perFilter(abortAny(503))
	routeLevel := prefixRoute("/route", "c")
	routeLevel.TypedPerFilterConfig = perFilter(abortAny(503))
	off := prefixRoute("/off", "c")
	off.TypedPerFilterConfig = perFilter(disabled)
	vh := vhost([]string{"vh"}, wcRoute, routeLevel, off, prefixRoute("/", "c"))
	vh.TypedPerFilterConfig = perFilter(abortAny(502))
	main := hcmListener(t, "levels", corev3.TrafficDirection_OUTBOUND, []*hcmv3.HttpFilter{httpFilter("f", &faultv3.HTTPFault{
		Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_HttpStatus{HttpStatus: 500}}})},
		vh, vhost([]string{"rc"}, prefixRoute("/", "c")))
	setRouteConfigLevel(t, main, perFilter(abortAny(501)))

	// A second HCM: its filter disabled by default, enabled on one route.
	enable := prefixRoute("/on", "c")
	enable.TypedPerFilterConfig = perFilter(config.MustAny(&routev3.FilterConfig{}))
	base := httpFilter("f", &faultv3.HTTPFault{Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_HttpStatus{HttpStatus: 500}}})
	base.Disabled = true
	second := hcmListener(t, "disabled", corev3.TrafficDirection_OUTBOUND, []*hcmv3.HttpFilter{base},
		vhost([]string{"*"}, enable, prefixRoute("/", "c")))
	hcmOnly := hcmListener(t, "hcm", corev3.TrafficDirection_OUTBOUND, []*hcmv3.HttpFilter{httpFilter("f", &faultv3.HTTPFault{
		Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_HttpStatus{HttpStatus: 500}}})},
		vhost([]string{"*"}, prefixRoute("/", "c")))

	for _, l := range []*listenerv3.Listener{second, hcmOnly} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		l.Address = addr(t, ln.Addr().String())
		require.NoError(t, ln.Close())
	}
	p, levels := startProxy(t, xdsconfig.Resources{Version: "1", Listeners: []*listenerv3.Listener{main, second, hcmOnly},
		Clusters: []*clusterv3.Cluster{staticCluster(t, "c", up)}})
	tests := []struct {
		name, listener, host, path string
		want                       int
	}{
		{"HCM's config when nothing overrides it", "hcm", "x", "/", 500},
		{"route configuration over HCM", "levels", "rc", "/", 501},
		{"virtual host over route configuration", "levels", "vh", "/", 502},
		{"route over virtual host", "levels", "vh", "/route", 503},
		{"weighted cluster over route", "levels", "vh", "/wc", 504},
		{"FilterConfig disabled on a route", "levels", "vh", "/off", 200},
		{"HttpFilter disabled: off by default", "disabled", "x", "/", 200},
		{"HttpFilter disabled: enabled by an empty FilterConfig", "disabled", "x", "/on", 500},
	}
	h2c := h2cClient()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := levels
			if tt.listener != "levels" {
				a = p.Addr(tt.listener)
			}
			assert.Equal(t, tt.want, get(t, "http://"+a+tt.path, map[string]string{"Host": tt.host}).StatusCode, "HTTP/1.1")
			req, err := http.NewRequest("GET", "http://"+a+tt.path, nil)
			require.NoError(t, err)
			req.Host = tt.host
			resp, err := h2c.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.want, resp.StatusCode, "HTTP/2")
		})
	}
}

// setRouteConfigLevel sets typed_per_filter_config on the inline route
// configuration of an HCM listener built by hcmListener.
func setRouteConfigLevel(t *testing.T, l *listenerv3.Listener, m map[string]*anypb.Any) {
	t.Helper()
	f := l.FilterChains[0].Filters[0]
	h := &hcmv3.HttpConnectionManager{}
	require.NoError(t, f.GetTypedConfig().UnmarshalTo(h))
	h.GetRouteConfig().TypedPerFilterConfig = m
	f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: config.MustAny(h)}
}
