package authz

import (
	"testing"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rbacfilter "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
)

func prefix(p string) *matcherv3.StringMatcher {
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: p}}
}

func TestDenyPolicy(t *testing.T) {
	deny := &rbacfilter.RBAC{Rules: &rbacv3.RBAC{Action: rbacv3.RBAC_DENY, Policies: map[string]*rbacv3.Policy{
		"no-admin-from-ns-x": {
			Permissions: []*rbacv3.Permission{{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcherv3.PathMatcher{
				Rule: &matcherv3.PathMatcher_Path{Path: prefix("/admin")}}}}},
			Principals: []*rbacv3.Principal{{Identifier: &rbacv3.Principal_Authenticated_{Authenticated: &rbacv3.Principal_Authenticated{
				PrincipalName: prefix("spiffe://td/ns/x/")}}}},
		},
		"no-delete": {
			Permissions: []*rbacv3.Permission{{Rule: &rbacv3.Permission_Header{Header: &routev3.HeaderMatcher{Name: ":method",
				HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
					MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "DELETE"}}}}}}},
			Principals: []*rbacv3.Principal{{Identifier: &rbacv3.Principal_Any{Any: true}}},
		},
	}}}
	p, err := Compile(deny)
	require.NoError(t, err)
	tests := []struct {
		method, path, principal string
		want                    bool
	}{
		{"GET", "/admin/x?y", "spiffe://td/ns/x/sa/a", false},
		{"GET", "/admin/x", "spiffe://td/ns/y/sa/a", true},
		{"GET", "/public", "spiffe://td/ns/x/sa/a", true},
		{"DELETE", "/public", "", false},
	}
	for _, tc := range tests {
		got, _ := p.Allowed(&match.Attrs{Method: []byte(tc.method), Path: []byte(tc.path), Principal: tc.principal})
		assert.Equal(t, tc.want, got, "%+v", tc)
	}
	var none *Policy
	ok, _ := none.Allowed(&match.Attrs{})
	assert.True(t, ok)
}
