package translate

import (
	"fmt"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
)

const gatewayMesh = `services:
  - {name: web, endpoints: [{address: 127.0.0.1:9001}]}
  - {name: shop, endpoints: [{address: 127.0.0.1:9002}]}
  - {name: ext, endpoints: [{address: 127.0.0.1:9003}]}
proxies:
  - id: ingress
    egress: [ext]
    gateway:
      mode: ingress
      address: 127.0.0.1:8443
      servers:
        - {hosts: [a.example.com], tls: {certFile: a.pem, keyFile: a-key.pem}}
        - {hosts: ["*.b.example.com"], tls: {certFile: b.pem, keyFile: b-key.pem}}
        - {hosts: ["*"]}
      routes:
        - {hosts: [a.example.com], match: {pathPrefix: /shop}, service: shop}
        - {service: web}
  - id: egress
    egress: [web]
    gateway: {mode: egress, address: 127.0.0.1:15090, allowedHosts: [ext]}
`

func vhostRoutes(rc *routev3.RouteConfiguration) map[string][]string {
	out := map[string][]string{}
	for _, vh := range rc.VirtualHosts {
		for _, d := range vh.Domains {
			for _, r := range vh.Routes {
				switch a := r.Action.(type) {
				case *routev3.Route_Route:
					out[d] = append(out[d], r.Match.GetPrefix()+"->"+a.Route.GetCluster())
				case *routev3.Route_DirectResponse:
					out[d] = append(out[d], r.Match.GetPrefix()+"->"+"direct")
				}
			}
		}
	}
	return out
}

func TestIngressGatewayResources(t *testing.T) {
	out, err := Build(parse(t, gatewayMesh))
	require.NoError(t, err)
	p := out["ingress"]
	assert.Equal(t, []string{"outbound|ext", "outbound|shop", "outbound|web"}, clusterNames(p.Resources.Clusters),
		"a gateway receives the clusters of the services it routes to, besides its egress")
	require.Len(t, p.Resources.Listeners, 1)
	l := p.Resources.Listeners[0]
	assert.Equal(t, "gateway_127.0.0.1_8443", l.Name)
	require.Len(t, l.FilterChains, 3)
	for i, want := range [][]string{{"a.example.com"}, {"*.b.example.com"}, nil} {
		fc := l.FilterChains[i]
		assert.Equal(t, want, fc.GetFilterChainMatch().GetServerNames(), "chain %d", i)
		if want == nil {
			assert.Equal(t, "raw_buffer", fc.GetFilterChainMatch().GetTransportProtocol())
			assert.Nil(t, fc.TransportSocket)
			continue
		}
		var dt tlsv3.DownstreamTlsContext
		require.NoError(t, fc.TransportSocket.GetTypedConfig().UnmarshalTo(&dt))
		assert.False(t, dt.GetRequireClientCertificate().GetValue(), "clients outside the mesh present no certificate")
		assert.Contains(t, dt.GetCommonTlsContext().GetTlsCertificates()[0].GetCertificateChain().GetFilename(), ".pem")
	}
	require.Len(t, p.Resources.Routes, 1)
	assert.Equal(t, map[string][]string{
		"a.example.com": {"/shop->outbound|shop", "/->outbound|web"},
		"*":             {"/->outbound|web"},
	}, vhostRoutes(p.Resources.Routes[0]))
	_, err = config.NewCompiler().Compile(p.Resources)
	require.ErrorContains(t, err, "a.pem", "the proxy reads the certificate files (absent here) when it compiles")
}

func TestEgressGatewayResources(t *testing.T) {
	out, err := Build(parse(t, gatewayMesh))
	require.NoError(t, err)
	p := out["egress"]
	require.Len(t, p.Resources.Routes, 1)
	routes := vhostRoutes(p.Resources.Routes[0])
	assert.Equal(t, []string{"/->egress|ext"}, routes["ext"], "the gateway calls ext itself")
	assert.Equal(t, []string{"/->direct"}, routes["*"], "every other host is answered by the gateway")
	assert.NotContains(t, routes, "web", "its own egress scoping gives web a cluster, not a way out")
	rc := p.Resources.Routes[0]
	for _, vh := range rc.VirtualHosts {
		if vh.Domains[0] == "*" {
			assert.Equal(t, uint32(StatusEgressDenied), vh.Routes[0].GetDirectResponse().GetStatus())
		}
	}
	var own *clusterv3.Cluster
	for _, c := range p.Resources.Clusters {
		if c.Name == EgressClusterName("ext") {
			own = c
		}
	}
	require.NotNil(t, own, "the gateway's own cluster for ext")
	assert.Equal(t, "127.0.0.1:9003", endpointAddrs(own.LoadAssignment)[0], "it calls ext's endpoints")
	_, err = config.NewCompiler().Compile(p.Resources)
	require.NoError(t, err, "the proxy accepts what meshcontrol sends")

	// Every other caller reaches ext through the gateway, in plaintext.
	for _, id := range []string{"ingress"} {
		found := false
		for _, cla := range out[id].Resources.Endpoints {
			if cla.ClusterName == ClusterName("ext", "") {
				found = true
				assert.Equal(t, []string{"127.0.0.1:15090"}, endpointAddrs(cla), "%s: ext is reached through the egress gateway", id)
			}
		}
		for _, c := range out[id].Resources.Clusters {
			if c.Name == ClusterName("ext", "") {
				assert.Nil(t, c.TransportSocket, "%s: plaintext to the gateway", id)
			}
		}
		assert.True(t, found, "%s has ext's endpoints", id)
	}
}

func endpointAddrs(cla *endpointv3.ClusterLoadAssignment) []string {
	var out []string
	for _, l := range cla.GetEndpoints() {
		for _, e := range l.GetLbEndpoints() {
			sa := e.GetEndpoint().GetAddress().GetSocketAddress()
			out = append(out, fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue()))
		}
	}
	return out
}
