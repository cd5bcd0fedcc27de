package translate

import (
	"fmt"
	"sort"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

func parse(t *testing.T, doc string) *meshconfig.Mesh {
	t.Helper()
	m, err := meshconfig.Parse("test.yaml", []byte(doc))
	require.NoError(t, err)
	return m
}

func clusterNames(cs []*clusterv3.Cluster) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return out
}

func TestScoping(t *testing.T) {
	doc := "services:\n"
	for i := range 5 {
		doc += fmt.Sprintf("  - {name: s%d, endpoints: [{address: '127.0.0.1:%d'}]}\n", i, 9000+i)
	}
	doc += `proxies:
  - id: narrow
    egress: [s1, s3]
    outbound: [{address: '127.0.0.1:15001'}]
  - id: bound
    egress: [s4]
    outbound: [{address: '127.0.0.1:15002', service: s2}]
  - id: wide
    outbound: [{address: '127.0.0.1:15003'}]
`
	out, err := Build(parse(t, doc))
	require.NoError(t, err)
	cases := []struct {
		proxy  string
		vhosts int
		want   []string
	}{
		{"narrow", 2, []string{"outbound|s1", "outbound|s3"}},
		{"bound", 1, []string{"outbound|s2", "outbound|s4"}},
		{"wide", 5, []string{"outbound|s0", "outbound|s1", "outbound|s2", "outbound|s3", "outbound|s4"}},
	}
	for _, tc := range cases {
		t.Run(tc.proxy, func(t *testing.T) {
			r := out[tc.proxy].Resources
			assert.Equal(t, tc.want, clusterNames(r.Clusters))
			require.Len(t, r.Endpoints, len(tc.want))
			require.Len(t, r.Routes, 1)
			assert.Len(t, r.Routes[0].VirtualHosts, tc.vhosts)
			for _, c := range r.Clusters {
				require.NoError(t, c.ValidateAll())
			}
		})
	}
}

const featureMesh = `services:
  - name: echo
    port: 8080
    protocol: http2
    endpoints:
      - {address: '127.0.0.1:16001', labels: {version: v1}}
      - {address: '127.0.0.1:16002', labels: {version: v2}}
proxies:
  - id: client
    egress: [echo]
    outbound: [{address: '127.0.0.1:15001', service: echo}]
  - id: server-1
    service: echo
    inbound: {address: '127.0.0.1:16001', app: '127.0.0.1:8081'}
  - id: server-2
    service: echo
    inbound: {address: '127.0.0.1:16002', app: '127.0.0.1:8082'}
policy:
  mtls: strict
  destinations:
    - service: echo
      loadBalancer: least_request
      circuitBreaker: {maxConnections: 100, maxRequests: 1000, retryBudgetPercent: 20, minRetryConcurrency: 3}
      outlierDetection: {consecutive5xx: 5, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 50}
      healthCheck: {path: /healthz, interval: 1s, timeout: 200ms}
      subsets:
        - {name: v1, labels: {version: v1}}
        - {name: v2, labels: {version: v2}}
  routes:
    - service: echo
      rules:
        - match: {pathPrefix: /slow, headers: {x-test: "1"}, method: GET}
          fault: {delay: {percent: 12.5, duration: 5ms}, abort: {percent: 1, status: 503}}
          timeout: 1s
          retries: {attempts: 3, perTryTimeout: 200ms, on: 5xx}
          split: [{subset: v1, weight: 90}, {subset: v2, weight: 10}]
  rateLimits:
    - {service: echo, requestsPerSecond: 100, burst: 20}
  authorization:
    - service: echo
      allow: [{from: ['spiffe://cluster.local/ns/default/sa/client'], paths: [/], methods: [GET]}]
`

func TestFeaturesUseStandardEnvoyFields(t *testing.T) {
	out, err := Build(parse(t, featureMesh))
	require.NoError(t, err)
	client := out["client"].Resources
	for _, l := range client.Listeners {
		require.NoError(t, l.ValidateAll())
	}
	for _, r := range client.Routes {
		require.NoError(t, r.ValidateAll())
	}
	byName := map[string]*clusterv3.Cluster{}
	for _, c := range client.Clusters {
		require.NoError(t, c.ValidateAll())
		byName[c.Name] = c
	}
	c := byName["outbound|echo"]
	require.NotNil(t, c)
	assert.Equal(t, clusterv3.Cluster_LEAST_REQUEST, c.LbPolicy)
	th := c.CircuitBreakers.Thresholds[0]
	assert.Equal(t, uint32(100), th.MaxConnections.GetValue())
	assert.Equal(t, 20.0, th.RetryBudget.BudgetPercent.GetValue())
	assert.Equal(t, uint32(5), c.OutlierDetection.Consecutive_5Xx.GetValue())
	assert.Equal(t, "/healthz", c.HealthChecks[0].GetHttpHealthCheck().Path)
	assert.Contains(t, c.TypedExtensionProtocolOptions, HTTPProtocolOptions)
	// Auto-mTLS: every endpoint is a proxy, so the cluster uses SDS certs.
	require.NotNil(t, c.TransportSocket)
	up := &tlsv3.UpstreamTlsContext{}
	require.NoError(t, c.TransportSocket.GetTypedConfig().UnmarshalTo(up))
	assert.Equal(t, SecretCert, up.CommonTlsContext.TlsCertificateSdsSecretConfigs[0].Name)
	assert.Contains(t, byName, "outbound|echo|v1")
	for _, cla := range client.Endpoints {
		if cla.ClusterName == "outbound|echo|v2" {
			require.Len(t, cla.Endpoints[0].LbEndpoints, 1)
		}
	}

	r := client.Routes[0].VirtualHosts[0].Routes[0]
	ra := r.GetRoute()
	assert.Len(t, ra.GetWeightedClusters().Clusters, 2)
	assert.Equal(t, uint32(3), ra.RetryPolicy.NumRetries.GetValue())
	assert.Equal(t, "5xx", ra.RetryPolicy.RetryOn)
	// Every retry policy avoids the hosts already tried, as Istio's do.
	require.Len(t, ra.RetryPolicy.RetryHostPredicate, 1)
	assert.Equal(t, PredicatePreviousHosts, ra.RetryPolicy.RetryHostPredicate[0].Name)
	assert.Equal(t, "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
		ra.RetryPolicy.RetryHostPredicate[0].GetTypedConfig().GetTypeUrl())
	assert.Equal(t, int64(5), ra.RetryPolicy.HostSelectionRetryMaxAttempts)
	assert.Equal(t, int64(1), ra.Timeout.Seconds)
	f := &faultv3.HTTPFault{}
	require.NoError(t, r.TypedPerFilterConfig[FilterFault].UnmarshalTo(f))
	assert.Equal(t, uint32(125000), f.Delay.Percentage.Numerator)
	assert.Equal(t, uint32(503), f.Abort.GetHttpStatus())
	assert.Len(t, r.Match.Headers, 2)
	assertFilters(t, client.Listeners[0].FilterChains[0].Filters[0].GetTypedConfig(), FilterFault, FilterRouter)

	server := out["server-1"].Resources
	require.Len(t, server.Listeners, 1)
	l := server.Listeners[0]
	require.NoError(t, l.ValidateAll())
	require.NotNil(t, l.FilterChains[0].TransportSocket, "strict mTLS inbound")
	assertFilters(t, l.FilterChains[0].Filters[0].GetTypedConfig(), FilterRBAC, FilterRateLimit, FilterRouter)
	h := &hcmv3.HttpConnectionManager{}
	require.NoError(t, l.FilterChains[0].Filters[0].GetTypedConfig().UnmarshalTo(h))
	assert.True(t, h.GetNormalizePath().GetValue(), "paths are normalised before authorization")
	assert.True(t, h.GetMergeSlashes())
	assert.Equal(t, hcmv3.HttpConnectionManager_UNESCAPE_AND_FORWARD, h.GetPathWithEscapedSlashesAction())
	assert.Empty(t, h.GetUpgradeConfigs(), "no upgrade is allowed by default")
	vh := server.Routes[0].VirtualHosts[0]
	assert.Contains(t, vh.TypedPerFilterConfig, FilterRateLimit)
	assert.Contains(t, vh.TypedPerFilterConfig, FilterRBAC)
	assert.Equal(t, []string{"*"}, vh.Domains)
}

func assertFilters(t *testing.T, cfg *anypb.Any, want ...string) {
	t.Helper()
	h := &hcmv3.HttpConnectionManager{}
	require.NoError(t, cfg.UnmarshalTo(h))
	var got []string
	for _, f := range h.HttpFilters {
		got = append(got, f.Name)
	}
	assert.Equal(t, want, got)
}
