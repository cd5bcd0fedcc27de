package translate

import (
	"fmt"
	"sort"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// Well-known extension names the proxy looks up.
const (
	TransportSocketTLS   = "envoy.transport_sockets.tls"
	HTTPProtocolOptions  = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
	defaultConnectTimout = 2 * time.Second
)

func adsSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic("translate: any: " + err.Error())
	}
	return a
}

// buildService builds the clusters (the service and each subset used by a
// split), their load assignments and the service's virtual host.
func buildService(ix *index, s *meshconfig.Service) (*serviceShared, error) {
	d := ix.dest[s.Name]
	sh := &serviceShared{}
	subsets := map[string]map[string]string{"": nil}
	if d != nil {
		for _, ss := range d.Subsets {
			subsets[ss.Name] = ss.Labels
		}
	}
	names := make([]string, 0, len(subsets))
	for n := range subsets {
		names = append(names, n)
	}
	sort.Strings(names)
	mtls, ids := ix.mtlsTo(s)
	eps := s.Endpoints
	via := ix.egressVia[s.Name]
	if via != "" {
		// The mesh's one way out: callers send to the egress gateway
		// (plaintext, the Host kept), which alone calls the endpoints.
		eps, mtls, ids = []meshconfig.Endpoint{{Address: via, Weight: 1}}, false, nil
	}
	for _, sub := range names {
		c := cluster(s, d, ClusterName(s.Name, sub), mtls, ids)
		sh.clusters = append(sh.clusters, c)
		sh.hashes = append(sh.hashes, hashProto(c))
	}
	for _, sub := range names {
		labels := subsets[sub]
		if via != "" {
			labels = nil // the gateway stands for every endpoint
		}
		cla := loadAssignment(ClusterName(s.Name, sub), eps, labels)
		sh.endpoints = append(sh.endpoints, cla)
		sh.hashes = append(sh.hashes, hashProto(cla))
	}
	vh, err := virtualHost(ix, s)
	if err != nil {
		return nil, err
	}
	sh.vhost = vh
	sh.vhostHash = hashProto(vh)
	return sh, nil
}

func cluster(s *meshconfig.Service, d *meshconfig.Destination, name string, mtls bool, ids []string) *clusterv3.Cluster {
	c := &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsSource(), ServiceName: name},
		ConnectTimeout:       durationpb.New(defaultConnectTimout),
		LbPolicy:             clusterv3.Cluster_ROUND_ROBIN,
	}
	if s.Protocol == meshconfig.ProtocolHTTP2 || s.Protocol == meshconfig.ProtocolGRPC {
		c.TypedExtensionProtocolOptions = map[string]*anypb.Any{HTTPProtocolOptions: mustAny(&httpv3.HttpProtocolOptions{
			UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
			}},
		})}
	}
	if mtls {
		c.TransportSocket = upstreamTLS(s, ids)
	}
	if d == nil {
		return c
	}
	if d.LoadBalancer == meshconfig.LBLeastRequest {
		c.LbPolicy = clusterv3.Cluster_LEAST_REQUEST
	}
	if d.ConnectTimeout > 0 {
		c.ConnectTimeout = durationpb.New(d.ConnectTimeout.D())
	}
	if b := d.CircuitBreaker; b != nil {
		t := &clusterv3.CircuitBreakers_Thresholds{Priority: corev3.RoutingPriority_DEFAULT}
		t.MaxConnections = u32(b.MaxConnections)
		t.MaxPendingRequests = u32(b.MaxPendingRequests)
		t.MaxRequests = u32(b.MaxRequests)
		t.MaxRetries = u32(b.MaxRetries)
		if b.RetryBudgetPercent > 0 {
			t.RetryBudget = &clusterv3.CircuitBreakers_Thresholds_RetryBudget{
				BudgetPercent:       &typev3.Percent{Value: b.RetryBudgetPercent},
				MinRetryConcurrency: u32(b.MinRetryConcurrency),
			}
		}
		c.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{t}}
	}
	if o := d.OutlierDetection; o != nil {
		c.OutlierDetection = &clusterv3.OutlierDetection{
			Consecutive_5Xx:    u32(o.Consecutive5xx),
			Interval:           dur(o.Interval),
			BaseEjectionTime:   dur(o.BaseEjectionTime),
			MaxEjectionPercent: u32(o.MaxEjectionPercent),
		}
	}
	if h := d.HealthCheck; h != nil {
		c.HealthChecks = []*corev3.HealthCheck{{
			Timeout:            durationpb.New(h.Timeout.D()),
			Interval:           durationpb.New(h.Interval.D()),
			HealthyThreshold:   wrapperspb.UInt32(max(h.HealthyThreshold, 1)),
			UnhealthyThreshold: wrapperspb.UInt32(max(h.UnhealthyThreshold, 1)),
			HealthChecker:      &corev3.HealthCheck_HttpHealthCheck_{HttpHealthCheck: &corev3.HealthCheck_HttpHealthCheck{Path: h.Path}},
		}}
	}
	return c
}

func upstreamTLS(s *meshconfig.Service, ids []string) *corev3.TransportSocket {
	var sans []*tlsv3.SubjectAltNameMatcher
	for _, id := range ids {
		sans = append(sans, &tlsv3.SubjectAltNameMatcher{
			SanType: tlsv3.SubjectAltNameMatcher_URI,
			Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: id}},
		})
	}
	ctx := &tlsv3.UpstreamTlsContext{
		CommonTlsContext: commonTLS(s.Protocol, sans),
		Sni:              fmt.Sprintf("%s.%s.svc", s.Name, s.Namespace),
	}
	return &corev3.TransportSocket{Name: TransportSocketTLS, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(ctx)}}
}

// commonTLS references the workload certificate and trust bundle by SDS
// name, so certificates rotate without touching clusters or listeners.
func commonTLS(protocol string, sans []*tlsv3.SubjectAltNameMatcher) *tlsv3.CommonTlsContext {
	alpn := []string{"http/1.1"}
	switch protocol {
	case meshconfig.ProtocolHTTP2, meshconfig.ProtocolGRPC:
		alpn = []string{"h2"}
	case meshconfig.ProtocolTCP:
		alpn = nil
	}
	return &tlsv3.CommonTlsContext{
		AlpnProtocols:                  alpn,
		TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{Name: SecretCert, SdsConfig: adsSource()}},
		ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
			DefaultValidationContext:         &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: sans},
			ValidationContextSdsSecretConfig: &tlsv3.SdsSecretConfig{Name: SecretRoots, SdsConfig: adsSource()},
		}},
	}
}

func loadAssignment(name string, eps []meshconfig.Endpoint, labels map[string]string) *endpointv3.ClusterLoadAssignment {
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: name}
	var lbs []*endpointv3.LbEndpoint
	for _, e := range eps {
		if !matches(e.Labels, labels) {
			continue
		}
		host, port, err := splitAddr(e.Address)
		if err != nil {
			continue // meshconfig validation rejects such addresses
		}
		lbe := &endpointv3.LbEndpoint{
			HostIdentifier:      &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: socketAddr(host, port)}},
			LoadBalancingWeight: wrapperspb.UInt32(e.Weight),
		}
		if e.Draining {
			lbe.HealthStatus = corev3.HealthStatus_DRAINING
		}
		lbs = append(lbs, lbe)
	}
	if len(lbs) > 0 {
		cla.Endpoints = []*endpointv3.LocalityLbEndpoints{{LbEndpoints: lbs}}
	}
	return cla
}

func matches(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func socketAddr(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

func u32(v uint32) *wrapperspb.UInt32Value {
	if v == 0 {
		return nil
	}
	return wrapperspb.UInt32(v)
}

func dur(d meshconfig.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d.D())
}
