package xds_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/control/translate"
	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/certrotate"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
)

// Every policy feature meshcontrol translates must compile in meshproxy:
// the xDS contract is checked from both sides here.
const everyFeature = `services:
  - name: echo
    port: 8080
    endpoints:
      - {address: '127.0.0.1:16001', labels: {version: v1}}
      - {address: '127.0.0.1:16002', labels: {version: v2}}
  - name: grpc-svc
    protocol: grpc
    endpoints: [{address: '127.0.0.1:16003'}]
  - name: db
    protocol: tcp
    endpoints: [{address: '127.0.0.1:5432'}]
proxies:
  - id: client
    egress: [echo, grpc-svc, db]
    outbound:
      - {address: '127.0.0.1:15001', service: echo}
      - {address: '127.0.0.1:15002'}
      - {address: '127.0.0.1:15003', service: db}
  - id: server-1
    service: echo
    inbound: {address: '127.0.0.1:16001', app: '127.0.0.1:8081'}
  - id: server-2
    service: echo
    inbound: {address: '127.0.0.1:16002', app: '127.0.0.1:8082'}
policy:
  mtls: MODE
  destinations:
    - service: echo
      loadBalancer: least_request
      circuitBreaker: {maxConnections: 100, maxPendingRequests: 10, maxRequests: 1000, maxRetries: 3, retryBudgetPercent: 20, minRetryConcurrency: 3}
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
          retries: {attempts: 3, perTryTimeout: 200ms, on: "5xx,connect-failure"}
          split: [{subset: v1, weight: 90}, {subset: v2, weight: 10}]
        - match: {path: /exact}
          timeout: 2s
  rateLimits:
    - {service: echo, requestsPerSecond: 100, burst: 20}
  authorization:
    - service: echo
      allow: [{from: ['spiffe://cluster.local/ns/default/sa/client'], paths: [/], methods: [GET]}, {paths: [/public]}]
`

func TestProxyCompilesEveryTranslatedFeature(t *testing.T) {
	authority, err := ca.New(ca.Options{})
	require.NoError(t, err)
	for _, mode := range []string{meshconfig.MTLSDisable, meshconfig.MTLSPermissive, meshconfig.MTLSStrict} {
		t.Run(mode, func(t *testing.T) {
			doc := []byte(replaceMode(everyFeature, mode))
			m, err := meshconfig.Parse("features.yaml", doc)
			require.NoError(t, err)
			out, err := translate.Build(m)
			require.NoError(t, err)
			for id, p := range out {
				r := p.Resources
				r.Secrets = secretsFor(t, authority, p.Identity)
				_, err := config.NewCompiler().Compile(r)
				require.NoError(t, err, "proxy %s", id)
			}
		})
	}
}

func replaceMode(doc, mode string) string {
	const key = "mtls: MODE"
	for i := 0; i+len(key) <= len(doc); i++ {
		if doc[i:i+len(key)] == key {
			return doc[:i] + "mtls: " + mode + doc[i+len(key):]
		}
	}
	return doc
}

// secretsFor issues a real certificate the way a proxy gets one.
func secretsFor(t *testing.T, authority *ca.CA, identity string) []*tlsSecret {
	t.Helper()
	svc := &ca.Service{CA: authority, Auth: ca.BootstrapToken{Token: "x", IdentityOf: func(string) (string, bool) { return identity, true }}}
	lisAddr, stop := serveGRPC(t, svc.Register)
	defer stop()
	conn, err := grpcwire.New(grpcwire.Options{Addr: lisAddr})
	require.NoError(t, err)
	defer conn.Close()
	r := certrotate.New(certrotate.Options{Conn: conn, NodeID: "n", Token: func() (string, error) { return "x", nil }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, r.Start(ctx))
	return r.Secrets()
}
