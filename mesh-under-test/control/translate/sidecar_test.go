package translate

import (
	"testing"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// TestSidecarOnEveryAddressIsProxied: a server sidecar listening on every
// address of its pod (0.0.0.0, as on Kubernetes, so that a replacement
// pod's new IP needs no new configuration) serves endpoints whose
// addresses are pod IPs. The registry names the sidecar on each endpoint;
// that alone makes the endpoint proxied, so strict mTLS applies towards
// it with the sidecar's identity. Without the name the address matches no
// inbound listener and the client goes plaintext (auto-mTLS), which is
// what each case checks against.
func TestSidecarOnEveryAddressIsProxied(t *testing.T) {
	base := func(sidecar string) *meshconfig.Mesh {
		m := parse(t, `services: [{name: app}]
proxies:
  - id: client
    egress: [app]
    outbound: [{address: '127.0.0.1:15001', service: app}]
  - id: server-proxy
    service: app
    inbound: {address: '0.0.0.0:15006', app: '127.0.0.1:8080'}
policy: {mtls: strict}
`)
		// what the Kubernetes registry adds: the ready pod IPs, at the
		// sidecar's inbound port
		m.Services[0].Endpoints = []meshconfig.Endpoint{
			{Address: "10.244.0.7:15006", Weight: 1, Sidecar: sidecar},
			{Address: "10.244.0.9:15006", Weight: 1, Sidecar: sidecar},
		}
		return m
	}
	cases := []struct {
		name, sidecar string
		mtls          bool
	}{
		{"named sidecar", "server-proxy", true},
		{"no sidecar named", "", false},
		{"unknown sidecar", "nobody", false},
		{"a proxy without an inbound listener", "client", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Build(base(tc.sidecar))
			require.NoError(t, err)
			cs := out["client"].Resources.Clusters
			require.Len(t, cs, 1)
			if !tc.mtls {
				assert.Nil(t, cs[0].TransportSocket, "plaintext towards endpoints no sidecar serves")
				return
			}
			require.NotNil(t, cs[0].TransportSocket)
			var up tlsv3.UpstreamTlsContext
			require.NoError(t, cs[0].TransportSocket.GetTypedConfig().UnmarshalTo(&up))
			sans := up.GetCommonTlsContext().GetCombinedValidationContext().GetDefaultValidationContext().GetMatchTypedSubjectAltNames()
			require.Len(t, sans, 1)
			assert.Equal(t, "spiffe://cluster.local/ns/default/sa/app", sans[0].GetMatcher().GetExact(), "the sidecar's identity")
		})
	}
}

// TestEndpointSidecarMustNameAnInbound: a mesh file naming an endpoint's
// sidecar must name a proxy with an inbound listener; the error names the
// field.
func TestEndpointSidecarMustNameAnInbound(t *testing.T) {
	_, err := meshconfig.Parse("mesh.yaml", []byte(`services: [{name: app, endpoints: [{address: '10.0.0.1:15006', sidecar: ghost}]}]
proxies: [{id: server, service: app, inbound: {address: '0.0.0.0:15006', app: '127.0.0.1:8080'}}]
`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "services[0].endpoints[0].sidecar")
	assert.Contains(t, err.Error(), `no proxy "ghost" with an inbound listener`)
}
