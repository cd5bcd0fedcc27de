package dataplane

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacfilter "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// BenchmarkH1RoundTrip is the standard case in process: one keep-alive
// client connection, 1 KB request and response bodies, through meshproxy
// and, side by side, through net/http/httputil.ReverseProxy. The raw
// client and upstream allocate nothing, so B/op and allocs/op are the
// proxy's.
func BenchmarkH1RoundTrip(b *testing.B) {
	up := rawUpstream(b, 1024)
	b.Run("meshproxy", func(b *testing.B) {
		res, err := config.Static([]config.Mapping{{Listen: "127.0.0.1:0", Upstream: up}}, nil, nil)
		require.NoError(b, err)
		_, pa := startProxy(b, res)
		benchRaw(b, pa)
	})
	b.Run("meshproxy-xds-route", func(b *testing.B) {
		res := xdsconfig.Resources{Clusters: []*clusterT{staticCluster(b, "up", up)},
			Listeners: []*listenerT{hcmListener(b, "l", corev3.TrafficDirection_OUTBOUND, nil,
				vhost([]string{"other.svc"}, prefixRoute("/", "up")),
				vhost([]string{"bench.svc", "bench.svc:80"}, prefixRoute("/nope", "up"), prefixRoute("/echo", "up")))}}
		_, pa := startProxy(b, res)
		benchRaw(b, pa)
	})
	b.Run("meshproxy-policy", func(b *testing.B) {
		// What meshcontrol configures inbound: normalised paths, an RBAC
		// allow rule and a rate limit, from the virtual host's config.
		l := hcmListener(b, "l", corev3.TrafficDirection_INBOUND, []*hcmv3.HttpFilter{
			httpFilter("envoy.filters.http.rbac", &rbacfilter.RBAC{}), httpFilter("envoy.filters.http.local_ratelimit", &lrlv3.LocalRateLimit{StatPrefix: "rl"})},
			vhost([]string{"*"}, prefixRoute("/", "up")))
		h := &hcmv3.HttpConnectionManager{}
		require.NoError(b, l.FilterChains[0].Filters[0].GetTypedConfig().UnmarshalTo(h))
		h.NormalizePath, h.MergeSlashes = wrapperspb.Bool(true), true
		h.GetRouteConfig().VirtualHosts[0].TypedPerFilterConfig = map[string]*anypb.Any{
			"envoy.filters.http.rbac": config.MustAny(&rbacfilter.RBACPerRoute{Rbac: &rbacfilter.RBAC{Rules: &rbacv3.RBAC{Policies: map[string]*rbacv3.Policy{
				"echo": {Permissions: []*rbacv3.Permission{{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcherv3.PathMatcher{Rule: &matcherv3.PathMatcher_Path{
					Path: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: "/echo"}}}}}}},
					Principals: []*rbacv3.Principal{{Identifier: &rbacv3.Principal_Any{Any: true}}}}}}}}),
			"envoy.filters.http.local_ratelimit": config.MustAny(&lrlv3.LocalRateLimit{StatPrefix: "rl",
				TokenBucket:   &typev3.TokenBucket{MaxTokens: 1 << 30, FillInterval: durationpb.New(time.Second)},
				FilterEnabled: full, FilterEnforced: full}),
		}
		l.FilterChains[0].Filters[0].ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: config.MustAny(h)}
		_, pa := startProxy(b, xdsconfig.Resources{Clusters: []*clusterT{staticCluster(b, "up", up)}, Listeners: []*listenerT{l}})
		benchRaw(b, pa)
	})
	b.Run("httputil", func(b *testing.B) {
		u, _ := url.Parse("http://" + up)
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(b, err)
		srv := &http.Server{Handler: rp}
		go func() { _ = srv.Serve(ln) }()
		b.Cleanup(func() { _ = srv.Close() })
		benchRaw(b, ln.Addr().String())
	})
}

func benchRaw(b *testing.B, proxyAddr string) {
	rc := newRawClient(b, proxyAddr, "bench.svc", 1024)
	for range 10 { // warm pools and buffers
		_, err := rc.do()
		require.NoError(b, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	for b.Loop() {
		if st, err := rc.do(); err != nil || st != 200 {
			b.Fatalf("status %d err %v", st, err)
		}
	}
	// CPU per round trip of the whole process (client, proxies, upstream):
	// on a loaded machine it moves far less than ns/op, which counts the
	// time the round trip waited for a CPU.
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-us/op")
}

var full = &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 100}}
