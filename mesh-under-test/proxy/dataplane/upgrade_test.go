package dataplane

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// TestUpgradeNeedsHCMAndRoute: an upgrade type passes only when the HCM
// lists it and the route does not disable it; a route cannot enable a
// type the HCM does not list (Envoy's rule). Refusals are 403.
func TestUpgradeNeedsHCMAndRoute(t *testing.T) {
	up := rawUpstream(t, 0) // answers 200: an upstream may decline an upgrade
	withUpgrades := func(r *routev3.Route, ucs ...*routev3.RouteAction_UpgradeConfig) *routev3.Route {
		r.GetRoute().UpgradeConfigs = ucs
		return r
	}
	l := hcmListener(t, "up", corev3.TrafficDirection_OUTBOUND, nil, vhost([]string{"*"},
		withUpgrades(prefixRoute("/nows", "c"), &routev3.RouteAction_UpgradeConfig{UpgradeType: "websocket", Enabled: wrapperspb.Bool(false)}),
		withUpgrades(prefixRoute("/foo", "c"), &routev3.RouteAction_UpgradeConfig{UpgradeType: "foo"}),
		prefixRoute("/", "c")))
	f := l.FilterChains[0].Filters[0]
	h := &hcmv3.HttpConnectionManager{}
	require.NoError(t, f.GetTypedConfig().UnmarshalTo(h))
	h.UpgradeConfigs = []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "WebSocket"}}
	f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: config.MustAny(h)}
	_, pa := startProxy(t, xdsconfig.Resources{Version: "1", Listeners: []*listenerv3.Listener{l},
		Clusters: []*clusterT{staticCluster(t, "c", up)}})
	tests := []struct {
		name, path, upgrade string
		want                int
	}{
		{"no upgrade", "/", "", 200},
		{"listed type (case-insensitive)", "/", "websocket", 200},
		{"type the HCM does not list", "/", "h2c", 403},
		{"disabled on the route", "/nows", "websocket", 403},
		{"enabled only on the route", "/foo", "foo", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", pa)
			require.NoError(t, err)
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			req := "GET " + tt.path + " HTTP/1.1\r\nHost: x\r\n"
			if tt.upgrade != "" {
				req += "Upgrade: " + tt.upgrade + "\r\nConnection: Upgrade\r\n"
			}
			_, err = io.WriteString(c, req+"\r\n")
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.want, resp.StatusCode)
		})
	}
}
