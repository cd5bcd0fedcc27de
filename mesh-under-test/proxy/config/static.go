package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpoptsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// Mapping is one --outbound/--inbound LISTEN=UPSTREAM flag.
type Mapping struct {
	Listen, Upstream string
}

// ParseMapping parses LISTEN_ADDR=UPSTREAM_ADDR.
func ParseMapping(s string) (Mapping, error) {
	l, u, ok := strings.Cut(s, "=")
	if !ok {
		return Mapping{}, fmt.Errorf("mapping %q: want LISTEN_ADDR=UPSTREAM_ADDR", s)
	}
	for _, a := range []string{l, u} {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return Mapping{}, fmt.Errorf("mapping %q: %w", s, err)
		}
	}
	return Mapping{Listen: l, Upstream: u}, nil
}

// TLS modes of the static flags.
const (
	ModeStrict     = "strict"
	ModePermissive = "permissive"
)

// StaticTLS is the static mode's certificate files.
type StaticTLS struct {
	CertFile, KeyFile, CAFile string
	Mode                      string // strict (default) | permissive
}

// Secret names the static mode uses (Istio's names).
const (
	SecretCert = xdsconfig.SecretCert
	SecretCA   = xdsconfig.SecretRoots
)

// Static builds the resources the static flags describe: for each mapping a
// listener with one catch-all route to a one-endpoint cluster. With tls,
// outbound clusters originate mTLS and inbound listeners terminate it
// (strict: only mTLS; permissive: mTLS or plaintext), certificates read from
// the files through SDS-named secrets.
func Static(outbound, inbound []Mapping, tls *StaticTLS) (xdsconfig.Resources, error) {
	r := xdsconfig.Resources{Version: "static"}
	if tls != nil {
		r.Secrets = fileSecrets(tls)
		if tls.Mode == "" {
			tls.Mode = ModeStrict
		}
		if tls.Mode != ModeStrict && tls.Mode != ModePermissive {
			return r, fmt.Errorf("tls mode %q: want strict or permissive", tls.Mode)
		}
	}
	for i, m := range outbound {
		if err := addStatic(&r, "outbound", i, m, corev3.TrafficDirection_OUTBOUND, tls); err != nil {
			return r, err
		}
	}
	for i, m := range inbound {
		if err := addStatic(&r, "inbound", i, m, corev3.TrafficDirection_INBOUND, tls); err != nil {
			return r, err
		}
	}
	return r, nil
}

func fileSecrets(t *StaticTLS) []*tlsv3.Secret {
	file := func(p string) *corev3.DataSource {
		return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: p}}
	}
	return []*tlsv3.Secret{
		{Name: SecretCert, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: file(t.CertFile), PrivateKey: file(t.KeyFile)}}},
		{Name: SecretCA, Type: &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
			TrustedCa: file(t.CAFile)}}},
	}
}

func commonTLS() *tlsv3.CommonTlsContext {
	return &tlsv3.CommonTlsContext{
		TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{Name: SecretCert}},
		ValidationContextType: &tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig{
			ValidationContextSdsSecretConfig: &tlsv3.SdsSecretConfig{Name: SecretCA}},
	}
}

// MustAny packs m, panicking only on a programming error (an unregistered
// message type).
func MustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err)
	}
	return a
}

// SocketAddress converts host:port.
func SocketAddress(hostport string) (*corev3.Address, error) {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", hostport, err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("address %q: port: %w", hostport, err)
	}
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: h, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(port)}}}}, nil
}

func addStatic(r *xdsconfig.Resources, dir string, i int, m Mapping, td corev3.TrafficDirection, t *StaticTLS) error {
	name := fmt.Sprintf("%s|%s", dir, m.Listen)
	cname := fmt.Sprintf("%s|%d|%s", dir, i, m.Upstream)
	la, err := SocketAddress(m.Listen)
	if err != nil {
		return err
	}
	ua, err := SocketAddress(m.Upstream)
	if err != nil {
		return err
	}
	cl := &clusterv3.Cluster{
		Name: cname, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout: durationpb.New(5e9), LbPolicy: clusterv3.Cluster_ROUND_ROBIN,
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: cname, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
				Endpoint: &endpointv3.Endpoint{Address: ua}}}}}}},
	}
	// A plain relay keeps the client's protocol (h2c in, h2c out).
	cl.TypedExtensionProtocolOptions = map[string]*anypb.Any{typeHTTPOptionsKey: MustAny(&httpoptsv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &httpoptsv3.HttpProtocolOptions_UseDownstreamProtocolConfig{
			UseDownstreamProtocolConfig: &httpoptsv3.HttpProtocolOptions_UseDownstreamHttpConfig{}}})}
	if t != nil && td == corev3.TrafficDirection_OUTBOUND {
		cl.TransportSocket = &corev3.TransportSocket{Name: "envoy.transport_sockets.tls",
			ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: MustAny(&tlsv3.UpstreamTlsContext{CommonTlsContext: commonTLS()})}}
	}
	r.Clusters = append(r.Clusters, cl)

	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: name, CodecType: hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{
			Name: name, VirtualHosts: []*routev3.VirtualHost{{Name: "all", Domains: []string{"*"}, Routes: []*routev3.Route{{
				Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{
					ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cname},
					Timeout:          durationpb.New(0), // a plain relay: no route timeout
				}},
			}}}},
		}},
		// A plain relay tunnels WebSocket; any other upgrade is refused.
		UpgradeConfigs: []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "websocket"}},
		HttpFilters: []*hcmv3.HttpFilter{{Name: "envoy.filters.http.router",
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: MustAny(&routerv3.Router{})}}},
	}
	filters := []*listenerv3.Filter{{Name: "envoy.filters.network.http_connection_manager",
		ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: MustAny(hcm)}}}
	l := &listenerv3.Listener{Name: name, Address: la, TrafficDirection: td}
	plain := &listenerv3.FilterChain{Filters: filters}
	if t == nil || td == corev3.TrafficDirection_OUTBOUND {
		l.FilterChains = []*listenerv3.FilterChain{plain}
	} else {
		tlsChain := &listenerv3.FilterChain{
			FilterChainMatch: &listenerv3.FilterChainMatch{TransportProtocol: "tls"},
			Filters:          filters,
			TransportSocket: &corev3.TransportSocket{Name: "envoy.transport_sockets.tls",
				ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: MustAny(&tlsv3.DownstreamTlsContext{
					CommonTlsContext: commonTLS(), RequireClientCertificate: wrapperspb.Bool(true)})}},
		}
		l.FilterChains = []*listenerv3.FilterChain{tlsChain}
		if t.Mode == ModePermissive {
			l.FilterChains = append(l.FilterChains, plain)
		}
	}
	r.Listeners = append(r.Listeners, l)
	return nil
}
