package dataplane

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rbacfilter "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

func headerRule(name string, m *matcherv3.StringMatcher) *rbacv3.Policy {
	return &rbacv3.Policy{
		Permissions: []*rbacv3.Permission{{Rule: &rbacv3.Permission_Header{Header: &routev3.HeaderMatcher{Name: name,
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: m}}}}},
		Principals: []*rbacv3.Principal{{Identifier: &rbacv3.Principal_Any{Any: true}}},
	}
}

// TestRBACHeaderRulesReadEveryValue: a repeated header is matched as its
// values joined with "," (Envoy's rule), so sending the field twice cannot
// slip a second value past a DENY rule or borrow an ALLOW with the first.
func TestRBACHeaderRulesReadEveryValue(t *testing.T) {
	up := rawUpstream(t, 0)
	deny := httpFilter("deny", &rbacfilter.RBAC{Rules: &rbacv3.RBAC{Action: rbacv3.RBAC_DENY, Policies: map[string]*rbacv3.Policy{
		"no-admin": headerRule("x-role", &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Contains{Contains: "admin"}})}}})
	allow := httpFilter("allow", &rbacfilter.RBAC{Rules: &rbacv3.RBAC{Action: rbacv3.RBAC_ALLOW, Policies: map[string]*rbacv3.Policy{
		"team-a": headerRule("x-team", &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "a"}})}}})
	l := hcmListener(t, "rbac", corev3.TrafficDirection_INBOUND, []*hcmv3.HttpFilter{deny, allow},
		vhost([]string{"*"}, prefixRoute("/", "c")))
	_, pa := startProxy(t, xdsconfig.Resources{Version: "1", Listeners: []*listenerv3.Listener{l},
		Clusters: []*clusterv3.Cluster{staticCluster(t, "c", up)}})
	tests := []struct {
		name    string
		headers []string
		want    int
	}{
		{"allowed team", []string{"X-Team: a"}, 200},
		{"other team", []string{"X-Team: b"}, 403},
		{"second team value joins the first", []string{"X-Team: a", "X-Team: b"}, 403},
		{"deny on the first value", []string{"X-Team: a", "X-Role: admin"}, 403},
		{"deny on a second value", []string{"X-Team: a", "X-Role: user", "X-Role: admin"}, 403},
		{"deny on a third value", []string{"X-Team: a", "X-Role: user", "x-role: viewer", "X-ROLE: admin"}, 403},
		{"repeated harmless values", []string{"X-Team: a", "X-Role: user", "X-Role: viewer"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", pa)
			require.NoError(t, err)
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			req := "GET / HTTP/1.1\r\nHost: x\r\n"
			for _, h := range tt.headers {
				req += h + "\r\n"
			}
			_, err = io.WriteString(c, req+"\r\n")
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.want, resp.StatusCode, "HTTP/1.1")

			h2req, err := http.NewRequest("GET", "http://"+pa+"/", nil)
			require.NoError(t, err)
			for _, h := range tt.headers {
				k, v, _ := cutHeader(h)
				h2req.Header.Add(k, v)
			}
			h2resp, err := h2cClient().Do(h2req)
			require.NoError(t, err)
			h2resp.Body.Close()
			assert.Equal(t, tt.want, h2resp.StatusCode, "HTTP/2")
		})
	}
}

func cutHeader(h string) (string, string, bool) {
	for i := 0; i+1 < len(h); i++ {
		if h[i] == ':' && h[i+1] == ' ' {
			return h[:i], h[i+2:], true
		}
	}
	return h, "", false
}
