package dataplane

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/stretchr/testify/require"

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
	for b.Loop() {
		if st, err := rc.do(); err != nil || st != 200 {
			b.Fatalf("status %d err %v", st, err)
		}
	}
}
