package dataplane

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// namedServer answers with its name in X-Server and echoes X-Added.
func namedServer(t *testing.T, name string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Server", name)
		w.Header().Set("Echo-X-Added", r.Header.Get("X-Added"))
		w.Header().Set("Echo-X-Secret", r.Header.Get("X-Secret"))
		w.Header().Set("X-Internal", "leak")
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func get(t *testing.T, url string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp
}

func TestRoutingByHostPathAndHeaders(t *testing.T) {
	a, b, c := namedServer(t, "a"), namedServer(t, "b"), namedServer(t, "c")
	exact := &routev3.Route{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: "/exact"}},
		Action: prefixRoute("/", "b").Action}
	byHeader := prefixRoute("/", "c")
	byHeader.Match.Headers = []*routev3.HeaderMatcher{{Name: "x-canary", HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{
		StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "yes"}}}}}
	sep := &routev3.Route{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: "/api"}},
		Action: prefixRoute("/", "b").Action}
	res := xdsconfig.Resources{
		Clusters: []*clusterT{staticCluster(t, "a", a), staticCluster(t, "b", b), staticCluster(t, "c", c)},
		Listeners: []*listenerT{hcmListener(t, "l", corev3.TrafficDirection_OUTBOUND, nil,
			vhost([]string{"svc-a", "svc-a.ns.svc.cluster.local"}, exact, sep, byHeader, prefixRoute("/", "a")),
			vhost([]string{"*.wild.example"}, prefixRoute("/", "c")),
			vhost([]string{"only-b"}, prefixRoute("/b/", "b")),
		)}}
	_, pa := startProxy(t, res)
	tests := []struct {
		name       string
		host, path string
		hdr        map[string]string
		wantStatus int
		wantServer string
	}{
		{"default route", "svc-a", "/x", nil, 200, "a"},
		{"host with port", "svc-a:8080", "/x", nil, 200, "a"},
		{"fqdn domain", "svc-a.ns.svc.cluster.local", "/x", nil, 200, "a"},
		{"exact path", "svc-a", "/exact", nil, 200, "b"},
		{"exact path is exact", "svc-a", "/exact/more", nil, 200, "a"},
		{"path separated prefix", "svc-a", "/api/v1", nil, 200, "b"},
		{"path separated prefix boundary", "svc-a", "/apix", nil, 200, "a"},
		{"header match", "svc-a", "/x", map[string]string{"X-Canary": "yes"}, 200, "c"},
		{"header mismatch", "svc-a", "/x", map[string]string{"X-Canary": "no"}, 200, "a"},
		{"wildcard domain", "foo.wild.example", "/", nil, 200, "c"},
		{"no route in vhost", "only-b", "/a/", nil, 404, ""},
		{"unknown host", "nobody", "/", nil, 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Host": tc.host}
			for k, v := range tc.hdr {
				h[k] = v
			}
			resp := get(t, "http://"+pa+tc.path, h)
			assert.Equal(t, tc.wantStatus, resp.StatusCode)
			assert.Equal(t, tc.wantServer, resp.Header.Get("X-Server"))
		})
	}
}

func TestWeightedSplit(t *testing.T) {
	v1, v2 := namedServer(t, "v1"), namedServer(t, "v2")
	route := &routev3.Route{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_WeightedClusters{
			WeightedClusters: &routev3.WeightedCluster{Clusters: []*routev3.WeightedCluster_ClusterWeight{
				{Name: "v1", Weight: wrapperspb.UInt32(80)}, {Name: "v2", Weight: wrapperspb.UInt32(20)}}}}}}}
	res := xdsconfig.Resources{Clusters: []*clusterT{staticCluster(t, "v1", v1), staticCluster(t, "v2", v2)},
		Listeners: []*listenerT{hcmListener(t, "l", corev3.TrafficDirection_OUTBOUND, nil, vhost([]string{"*"}, route))}}
	_, pa := startProxy(t, res)
	counts := map[string]int{}
	const n = 500
	for range n {
		counts[get(t, "http://"+pa+"/", nil).Header.Get("X-Server")]++
	}
	assert.InDelta(t, 0.8*n, counts["v1"], 0.08*n, "counts %v", counts)
	assert.Equal(t, n, counts["v1"]+counts["v2"])
}

func TestHeaderEdits(t *testing.T) {
	a := namedServer(t, "a")
	r := prefixRoute("/", "a")
	r.RequestHeadersToAdd = []*corev3.HeaderValueOption{{Header: &corev3.HeaderValue{Key: "X-Added", Value: "by-route"},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD}}
	r.RequestHeadersToRemove = []string{"x-secret"}
	r.ResponseHeadersToAdd = []*corev3.HeaderValueOption{{Header: &corev3.HeaderValue{Key: "X-Via", Value: "meshproxy"}}}
	r.ResponseHeadersToRemove = []string{"x-internal"}
	res := xdsconfig.Resources{Clusters: []*clusterT{staticCluster(t, "a", a)},
		Listeners: []*listenerT{hcmListener(t, "l", corev3.TrafficDirection_OUTBOUND, nil, vhost([]string{"*"}, r))}}
	_, pa := startProxy(t, res)
	resp := get(t, "http://"+pa+"/", map[string]string{"X-Added": "from-client", "X-Secret": "s3cr3t"})
	assert.Equal(t, "by-route", resp.Header.Get("Echo-X-Added"))
	assert.Empty(t, resp.Header.Get("Echo-X-Secret"))
	assert.Equal(t, "meshproxy", resp.Header.Get("X-Via"))
	assert.Empty(t, resp.Header.Get("X-Internal"))
}
