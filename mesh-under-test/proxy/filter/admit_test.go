package filter

import (
	"testing"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacfilter "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
)

func oneToken(status typev3.StatusCode) *lrlv3.LocalRateLimit {
	l := &lrlv3.LocalRateLimit{StatPrefix: "rl", FilterEnabled: enabled, FilterEnforced: enabled,
		TokenBucket: &typev3.TokenBucket{MaxTokens: 1, TokensPerFill: wrapperspb.UInt32(1), FillInterval: durationpb.New(3600e9)}}
	if status != 0 {
		l.Status = &typev3.HttpStatus{Code: status}
	}
	return l
}

// TestLevelSharesOneBucketAndStatus: a virtual host's rate limit is one
// bucket for all its routes (as in Envoy, one config instance), and the
// reply status is the filter's `status`.
func TestLevelSharesOneBucketAndStatus(t *testing.T) {
	c, err := CompileChain([]*hcmv3.HttpFilter{hf(t, "rl", &lrlv3.LocalRateLimit{StatPrefix: "rl"}),
		hf(t, "envoy.filters.http.router", &routerv3.Router{})})
	require.NoError(t, err)
	vh, err := c.CompileLevel(map[string]*anypb.Any{"rl": mustAny(t, oneToken(typev3.StatusCode_ServiceUnavailable))})
	require.NoError(t, err)
	route1, route2 := c.Resolve(nil, vh), c.Resolve(nil, vh)
	a := &match.Attrs{Path: []byte("/")}
	assert.Zero(t, route1.Admit(a, 1).Status, "the one token")
	d := route2.Admit(a, 2)
	assert.Equal(t, 503, d.Status, "the other route drew from the same bucket; status from the config")
	assert.Equal(t, "rate_limited", d.Why)
	assert.Empty(t, c.Resolve(), "the HCM's own config is not enabled: no filter acts")
}

// TestRBACWithoutRulesAllows: an RBAC without rules, and an RBACPerRoute
// without rbac, leave the request alone (Envoy's rule); a per-route DENY
// overrides an HCM ALLOW.
func TestRBACWithoutRulesAllows(t *testing.T) {
	denyAll := &rbacfilter.RBAC{Rules: &rbacv3.RBAC{Action: rbacv3.RBAC_DENY, Policies: map[string]*rbacv3.Policy{
		"all": {Permissions: []*rbacv3.Permission{{Rule: &rbacv3.Permission_Any{Any: true}}},
			Principals: []*rbacv3.Principal{{Identifier: &rbacv3.Principal_Any{Any: true}}}}}}}
	c, err := CompileChain([]*hcmv3.HttpFilter{hf(t, "rbac", denyAll), hf(t, "envoy.filters.http.router", &routerv3.Router{})})
	require.NoError(t, err)
	a := &match.Attrs{Path: []byte("/"), Method: []byte("GET")}
	assert.Equal(t, 403, c.Resolve().Admit(a, 0).Status, "the HCM's DENY all")
	off, err := c.CompileLevel(map[string]*anypb.Any{"rbac": mustAny(t, &rbacfilter.RBACPerRoute{})})
	require.NoError(t, err)
	assert.Zero(t, c.Resolve(off).Admit(a, 0).Status, "RBACPerRoute without rbac disables the filter")
	empty, err := c.CompileLevel(map[string]*anypb.Any{"rbac": mustAny(t, &rbacfilter.RBACPerRoute{Rbac: &rbacfilter.RBAC{}})})
	require.NoError(t, err)
	assert.Zero(t, c.Resolve(empty).Admit(a, 0).Status, "an RBAC without rules allows")
}
