package translate

import (
	"fmt"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// StatusEgressDenied is what an egress gateway answers for a host it does
// not allow (Istio's REGISTRY_ONLY outbound policy answers 502; a refusal
// by policy is a 403 everywhere else in this mesh, so the gateway uses it).
const StatusEgressDenied = 403

// gateway builds a gateway's listener and its route configuration. Both
// modes run the same http_connection_manager as every other listener
// (path normalisation, limits, Upgrade refusal: the one admission step),
// and reach mesh services through the same outbound clusters a sidecar
// uses (so mTLS to the sidecars behind follows the mesh's rule).
func gateway(ix *index, g *meshconfig.Gateway) (*listenerv3.Listener, *routev3.RouteConfiguration, []*clusterv3.Cluster, error) {
	name := listenerName("gateway", g.Address)
	host, port, err := splitAddr(g.Address)
	if err != nil {
		return nil, nil, nil, err
	}
	l := &listenerv3.Listener{Name: name, Address: socketAddr(host, port), TrafficDirection: corev3.TrafficDirection_OUTBOUND}
	rc := &routev3.RouteConfiguration{Name: name}
	var clusters []*clusterv3.Cluster
	if g.Mode == meshconfig.GatewayEgress {
		// Every other proxy's cluster for an allowed service leads here
		// (the one way out); the gateway's own clusters call the endpoints.
		for _, svc := range g.AllowedHosts {
			s := ix.services[svc]
			if s == nil {
				return nil, nil, nil, fmt.Errorf("allowedHosts: unknown service %q", svc)
			}
			c := cluster(s, ix.dest[svc], EgressClusterName(svc), false, nil)
			c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}
			c.EdsClusterConfig = nil
			c.LoadAssignment = loadAssignment(c.Name, s.Endpoints, nil)
			clusters = append(clusters, c)
			rc.VirtualHosts = append(rc.VirtualHosts, &routev3.VirtualHost{Name: "egress-" + svc, Domains: domains(s), Routes: []*routev3.Route{{
				Name:   "egress-" + svc,
				Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: c.Name}, Timeout: noTimeout()}},
			}}})
		}
		rc.VirtualHosts = append(rc.VirtualHosts, &routev3.VirtualHost{Name: "egress-denied", Domains: []string{"*"}, Routes: []*routev3.Route{{
			Name:  "egress-denied",
			Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: StatusEgressDenied,
				Body: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: "egress to this host is not allowed by the mesh\n"}}}},
		}}})
		l.FilterChains = []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{hcm(ix, name, name, nil)}}}
		return l, rc, clusters, nil
	}
	vhs, err := gatewayHosts(ix, g)
	if err != nil {
		return nil, nil, nil, err
	}
	rc.VirtualHosts = vhs
	l.ListenerFilters = []*listenerv3.ListenerFilter{{Name: FilterTLSInspector, ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&tlsinspectorv3.TlsInspector{})}}}
	for i, s := range g.Servers {
		fc := &listenerv3.FilterChain{Name: fmt.Sprintf("server-%d", i), Filters: []*listenerv3.Filter{hcm(ix, name, name, nil)}}
		if s.TLS == nil {
			fc.FilterChainMatch = &listenerv3.FilterChainMatch{TransportProtocol: "raw_buffer"}
		} else {
			fc.FilterChainMatch = &listenerv3.FilterChainMatch{TransportProtocol: "tls", ServerNames: s.Hosts}
			fc.TransportSocket = gatewayTLS(s.TLS)
		}
		l.FilterChains = append(l.FilterChains, fc)
	}
	return l, rc, nil, nil
}

// gatewaySecrets are the SDS secrets of the credentials g's servers name,
// in the order they are named, each once.
func gatewaySecrets(ix *index, g *meshconfig.Gateway) ([]*tlsv3.Secret, error) {
	var out []*tlsv3.Secret
	seen := map[string]bool{}
	for i, s := range g.Servers {
		if s.TLS == nil || s.TLS.CredentialName == "" || seen[s.TLS.CredentialName] {
			continue
		}
		name := s.TLS.CredentialName
		seen[name] = true
		cr := ix.mesh.Credential(name)
		if cr == nil {
			return nil, fmt.Errorf("servers[%d].tls.credentialName: unknown credential %q", i, name)
		}
		out = append(out, &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: cr.Certificate}},
			PrivateKey:       &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: cr.PrivateKey}},
		}}})
	}
	return out, nil
}

// EgressClusterName is an egress gateway's own cluster for an allowed
// service: the service's endpoints, which no other proxy calls directly.
func EgressClusterName(service string) string { return "egress|" + service }

// gatewayTLS terminates TLS with a server's certificate: a credential the
// gateway receives over SDS on its ADS stream (Istio's credentialName), or
// files the proxy reads. Clients outside the mesh present none.
func gatewayTLS(t *meshconfig.GatewayTLS) *corev3.TransportSocket {
	file := func(p string) *corev3.DataSource {
		return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: p}}
	}
	common := &tlsv3.CommonTlsContext{AlpnProtocols: []string{"h2", "http/1.1"}}
	if t.CredentialName != "" {
		common.TlsCertificateSdsSecretConfigs = []*tlsv3.SdsSecretConfig{{Name: t.CredentialName, SdsConfig: adsSource()}}
	} else {
		common.TlsCertificates = []*tlsv3.TlsCertificate{{CertificateChain: file(t.CertFile), PrivateKey: file(t.KeyFile)}}
	}
	ctx := &tlsv3.DownstreamTlsContext{CommonTlsContext: common}
	return &corev3.TransportSocket{Name: TransportSocketTLS, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(ctx)}}
}

// gatewayHosts turns the ordered gateway routes into virtual hosts: one
// per host some route names (plus "*" for the rest), each holding, in
// order, the routes that apply to that host, so "first match wins" holds
// per request whatever host it names.
func gatewayHosts(ix *index, g *meshconfig.Gateway) ([]*routev3.VirtualHost, error) {
	var hosts []string
	seen := map[string]bool{}
	for _, r := range g.Routes {
		for _, h := range r.Hosts {
			if h = strings.ToLower(h); !seen[h] && h != "*" {
				seen[h] = true
				hosts = append(hosts, h)
			}
		}
	}
	hosts = append(hosts, "*")
	out := make([]*routev3.VirtualHost, 0, len(hosts))
	for _, h := range hosts {
		vh := &routev3.VirtualHost{Name: "gateway-" + h, Domains: []string{h}}
		for i, r := range g.Routes {
			if !appliesTo(r, h) {
				continue
			}
			s := ix.services[r.Service]
			if s == nil {
				return nil, fmt.Errorf("gateway routes[%d]: unknown service %q", i, r.Service)
			}
			rt, err := route(s, fmt.Sprintf("gateway-%d", i), meshconfig.Rule{Match: r.Match, Timeout: r.Timeout})
			if err != nil {
				return nil, fmt.Errorf("gateway routes[%d]: %w", i, err)
			}
			vh.Routes = append(vh.Routes, rt)
		}
		if len(vh.Routes) > 0 || h == "*" {
			out = append(out, vh)
		}
	}
	return out, nil
}

func appliesTo(r meshconfig.GatewayRoute, host string) bool {
	if len(r.Hosts) == 0 {
		return true
	}
	for _, h := range r.Hosts {
		if h = strings.ToLower(h); h == host || h == "*" {
			return true
		}
	}
	return false
}
