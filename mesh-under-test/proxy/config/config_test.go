package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/filter"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/lb"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/router"
)

func TestParseFileAndCompile(t *testing.T) {
	r, err := ParseFile("testdata/static.yaml")
	require.NoError(t, err)
	s, err := NewCompiler().Compile(r)
	require.NoError(t, err)
	require.Len(t, s.Listeners, 1)
	l := s.Listeners[0]
	assert.Equal(t, Outbound, l.Direction)
	h := l.Chains[0].HTTP
	assert.InDelta(t, 0.1, h.AccessLogFraction, 1e-9)
	route := h.Routes.Match(&match.Attrs{Authority: []byte("reviews:8080"), Path: []byte("/x"), Method: []byte("GET"),
		Headers: hdrs{"x-canary": "yes"}})
	require.NotNil(t, route)
	assert.Equal(t, "reviews-v2", route.Pick().Name)
	route = h.Routes.Match(&match.Attrs{Authority: []byte("reviews"), Path: []byte("/x"), Method: []byte("GET"), Headers: hdrs{}})
	require.NotNil(t, route)
	assert.Len(t, route.Clusters, 2)
	assert.Equal(t, 2, route.Retry.NumRetries)
	assert.False(t, route.Retry.AvoidTried, "no retry_host_predicate: a retry may go to any host")
	f := route.Filters.Find(filter.Fault)
	require.NotNil(t, f, "the route's fault overrides the HCM's empty one")
	assert.Equal(t, 503, f.Fault().AbortStatus)
	assert.Equal(t, uint32(10_000), f.Fault().AbortPerMillion)
	v1 := s.Clusters["reviews-v1"]
	assert.Equal(t, lb.LeastRequest, v1.Policy)
	assert.Equal(t, int64(100), v1.Thresholds.MaxConnections)
	assert.InDelta(t, 20, v1.Thresholds.Budget.BudgetPercent, 1e-9)
	assert.NotNil(t, v1.Outlier)
	require.Len(t, s.Checks, 1)
	assert.Equal(t, "/healthz", s.Checks[0].Config.HTTPPath)
}

type hdrs map[string]string

func (h hdrs) Get(n string) ([]byte, bool) {
	v, ok := h[n]
	return []byte(v), ok
}

// TestRejections edits the valid file and expects a clear error for each
// kind of bad configuration.
func TestRejections(t *testing.T) {
	good, err := os.ReadFile("testdata/static.yaml")
	require.NoError(t, err)
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown field", "lb_policy: LEAST_REQUEST", "lb_policy: LEAST_REQUEST\n    no_such_field: 1", "unknown field"},
		{"negative weight", "weight: 90", "weight: -90", "-90"},
		{"zero total weight", "weight: 90}, {name: reviews-v2, weight: 10}", "weight: 0}, {name: reviews-v2, weight: 0}", "total weight 0"},
		{"missing cluster", "route: {cluster: reviews-v2, timeout: 2s}", "route: {cluster: ratings, timeout: 2s}", `unknown cluster "ratings"`},
		{"regex not allowed", `string_match: {exact: "yes"}`, `string_match: {safe_regex: {regex: "y.*"}}`, "regex"},
		{"unsupported filter", "extensions.filters.http.fault.v3.HTTPFault}", "extensions.filters.http.buffer.v3.Buffer, max_request_bytes: 10}", "buffer"},
		{"missing router", "          - name: envoy.filters.http.router\n            typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}\n", "", "must end with envoy.filters.http.router"},
		{"invalid by proto rules", "connect_timeout: 1s\n    circuit", "connect_timeout: -1s\n    circuit", "ConnectTimeout"},
		{"bad lb policy", "lb_policy: LEAST_REQUEST", "lb_policy: MAGLEV", "lb_policy"},
		{"unknown retry condition", `retry_on: "5xx,connect-failure"`, `retry_on: "5xx,unavailble"`, `retry_on: unknown retry condition "unavailble"`},
		{"unsupported retry host predicate", "num_retries: 2}", "num_retries: 2, retry_host_predicate: [{name: envoy.retry_host_predicates.omit_canary_hosts}]}",
			`retry_host_predicate "envoy.retry_host_predicates.omit_canary_hosts": unsupported`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(string(good), tc.old, tc.new, 1)
			require.NotEqual(t, string(good), bad, "edit applies")
			p := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(p, []byte(bad), 0o600))
			r, err := ParseFile(p)
			if err == nil {
				_, err = NewCompiler().Compile(r)
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestStaticResources(t *testing.T) {
	r, err := Static([]Mapping{{Listen: "127.0.0.1:0", Upstream: "127.0.0.1:9"}},
		[]Mapping{{Listen: "127.0.0.1:1", Upstream: "127.0.0.1:8"}},
		&StaticTLS{CertFile: "c", KeyFile: "k", CAFile: "a", Mode: ModePermissive})
	require.NoError(t, err)
	assert.Len(t, r.Listeners, 2)
	assert.Len(t, r.Listeners[1].GetFilterChains(), 2, "permissive inbound: a TLS chain and a plaintext chain")
	assert.NotNil(t, r.Clusters[0].GetTransportSocket(), "outbound originates mTLS")
	_, err = NewCompiler().Compile(r)
	assert.ErrorContains(t, err, "read c", "missing certificate files are a clear error")

	_, err = ParseMapping("nonsense")
	assert.Error(t, err)
	_, err = Static(nil, nil, &StaticTLS{Mode: "sometimes"})
	assert.Error(t, err)
}

// TestRetryHostPredicatePreviousHosts: Envoy's previous_hosts predicate,
// given by its typed config (as meshcontrol sends it) or by name, turns on
// AvoidTried with host_selection_retry_max_attempts.
func TestRetryHostPredicatePreviousHosts(t *testing.T) {
	good, err := os.ReadFile("testdata/static.yaml")
	require.NoError(t, err)
	for name, pred := range map[string]string{
		"typed config": `{name: x, typed_config: {"@type": type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate}}`,
		"name":         `{name: envoy.retry_host_predicates.previous_hosts}`,
	} {
		t.Run(name, func(t *testing.T) {
			doc := strings.Replace(string(good), "num_retries: 2}", "num_retries: 2, host_selection_retry_max_attempts: 5, retry_host_predicate: ["+pred+"]}", 1)
			route := compileReviewsRoute(t, doc)
			assert.True(t, route.Retry.AvoidTried)
			assert.Equal(t, 5, route.Retry.HostSelectionAttempts)
		})
	}
}

// TestRetryGRPCConditionsAndBufferLimit: the gRPC retry_on values and
// refused-stream compile, and the retry buffer is the route's
// per_request_buffer_limit_bytes, else the virtual host's, at most 1 MiB.
func TestRetryGRPCConditionsAndBufferLimit(t *testing.T) {
	good, err := os.ReadFile("testdata/static.yaml")
	require.NoError(t, err)
	for _, tc := range []struct {
		name, route, vhost string
		want               int64
	}{
		{"default", "", "", 1 << 20},
		{"route", "per_request_buffer_limit_bytes: 1000, ", "", 1000},
		{"virtual host", "", "per_request_buffer_limit_bytes: 2000", 2000},
		{"route over vhost", "per_request_buffer_limit_bytes: 1000, ", "per_request_buffer_limit_bytes: 2000", 1000},
		{"capped", "per_request_buffer_limit_bytes: 5000000, ", "", 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(string(good), `retry_policy: {retry_on: "5xx,connect-failure", num_retries: 2}`,
				`retry_policy: {retry_on: "unavailable,cancelled,refused-stream", num_retries: 2}`, 1)
			if tc.route != "" {
				doc = strings.Replace(doc, "                route:\n                  weighted_clusters:", "                "+strings.TrimSuffix(tc.route, ", ")+"\n                route:\n                  weighted_clusters:", 1)
			}
			if tc.vhost != "" {
				doc = strings.Replace(doc, "domains: [", tc.vhost+"\n              domains: [", 1)
			}
			route := compileReviewsRoute(t, doc)
			assert.True(t, route.Retry.RetryGRPC(14))
			assert.True(t, route.Retry.RetryGRPC(1))
			assert.True(t, route.Retry.RetryRefusedStream())
			assert.False(t, route.Retry.RetryStatus(503))
			assert.Equal(t, tc.want, route.Retry.BodyLimit())
		})
	}
}

// compileReviewsRoute compiles a variant of testdata/static.yaml and
// returns the route a plain request to reviews takes.
func compileReviewsRoute(t *testing.T, doc string) *router.Route {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(p, []byte(doc), 0o600))
	r, err := ParseFile(p)
	require.NoError(t, err)
	s, err := NewCompiler().Compile(r)
	require.NoError(t, err)
	route := s.Listeners[0].Chains[0].HTTP.Routes.Match(&match.Attrs{Authority: []byte("reviews"), Path: []byte("/x"), Method: []byte("GET"), Headers: hdrs{}})
	require.NotNil(t, route)
	return route
}
