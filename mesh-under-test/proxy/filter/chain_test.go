package filter

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacfilter "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	exprpb "google.golang.org/genproto/googleapis/api/expr/v1alpha1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
)

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	require.NoError(t, err)
	return a
}

func hf(t *testing.T, name string, m proto.Message) *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{Name: name, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(t, m)}}
}

var enabled = &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 100}}

// noFillInterval is the config that used to crash the proxy on the first
// request (a division by a zero fill interval).
var noFillInterval = &lrlv3.LocalRateLimit{StatPrefix: "rl", TokenBucket: &typev3.TokenBucket{MaxTokens: 1},
	FilterEnabled: enabled, FilterEnforced: enabled}

// TestInvalidFilterConfigIsRefused: every rejection names what is wrong.
func TestInvalidFilterConfigIsRefused(t *testing.T) {
	router := hf(t, "envoy.filters.http.router", &routerv3.Router{})
	tests := []struct {
		name    string
		filters []*hcmv3.HttpFilter
		want    string
	}{
		{"token bucket without fill_interval", []*hcmv3.HttpFilter{hf(t, "rl", noFillInterval), router}, "FillInterval"},
		{"abort status out of range", []*hcmv3.HttpFilter{hf(t, "f", &faultv3.HTTPFault{Abort: &faultv3.FaultAbort{
			ErrorType: &faultv3.FaultAbort_HttpStatus{HttpStatus: 99}}}), router}, "HttpStatus"},
		{"rbac condition", []*hcmv3.HttpFilter{hf(t, "r", &rbacfilter.RBAC{Rules: &rbacv3.RBAC{Policies: map[string]*rbacv3.Policy{
			"p": {Permissions: []*rbacv3.Permission{{Rule: &rbacv3.Permission_Any{Any: true}}},
				Principals: []*rbacv3.Principal{{Identifier: &rbacv3.Principal_Any{Any: true}}},
				Condition:  &exprpb.Expr{}}}}}), router}, "condition"},
		{"unknown filter", []*hcmv3.HttpFilter{hf(t, "b", &routev3.Route{}), router}, "unsupported"},
		{"filter after the router", []*hcmv3.HttpFilter{router, hf(t, "f", &faultv3.HTTPFault{})}, "after the router"},
		{"no router", []*hcmv3.HttpFilter{hf(t, "f", &faultv3.HTTPFault{})}, "must end with"},
		{"duplicate name", []*hcmv3.HttpFilter{hf(t, "f", &faultv3.HTTPFault{}), hf(t, "f", &faultv3.HTTPFault{}), router}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileChain(tt.filters)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}

	optional := hf(t, "b", &routev3.Route{})
	optional.IsOptional = true
	c, err := CompileChain([]*hcmv3.HttpFilter{optional, router})
	require.NoError(t, err, "an optional unknown filter is skipped, as in Envoy")
	assert.Empty(t, c)
}

// TestInvalidPerRouteConfigIsRefused: the same validation runs on every
// level's typed_per_filter_config (where meshcontrol puts its policy).
func TestInvalidPerRouteConfigIsRefused(t *testing.T) {
	c, err := CompileChain([]*hcmv3.HttpFilter{hf(t, "rl", &lrlv3.LocalRateLimit{StatPrefix: "rl"}),
		hf(t, "rbac", &rbacfilter.RBAC{}), hf(t, "envoy.filters.http.router", &routerv3.Router{})})
	require.NoError(t, err)
	tests := []struct {
		name string
		cfg  map[string]*anypb.Any
		want string
	}{
		{"token bucket without fill_interval", map[string]*anypb.Any{"rl": mustAny(t, noFillInterval)}, "FillInterval"},
		{"wrong type for the filter", map[string]*anypb.Any{"rbac": mustAny(t, &faultv3.HTTPFault{})}, "RBACPerRoute"},
		{"invalid config for a filter not in the chain", map[string]*anypb.Any{"other": mustAny(t, noFillInterval)}, "FillInterval"},
		{"unknown type", map[string]*anypb.Any{"rl": mustAny(t, &routev3.Route{})}, "unsupported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CompileLevel(tt.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err = c.CompileLevel(map[string]*anypb.Any{"rl": mustAny(t, &routev3.FilterConfig{Disabled: true})})
	assert.NoError(t, err)
	assert.ErrorIs(t, func() error {
		_, err := c.CompileLevel(map[string]*anypb.Any{"rl": mustAny(t, &routev3.Route{})})
		return err
	}(), match.ErrUnsupported)
}
