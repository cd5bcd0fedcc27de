package translate

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// Network and listener filter names, as Envoy registers them.
const (
	FilterHCM          = "envoy.filters.network.http_connection_manager"
	FilterTCPProxy     = "envoy.filters.network.tcp_proxy"
	FilterTLSInspector = "envoy.filters.listener.tls_inspector"
)

// outbound builds a listener the local app sends to, and its route
// configuration (nil for TCP).
func outbound(ix *index, shared map[string]*serviceShared, egress []string, o meshconfig.Outbound) (*listenerv3.Listener, *routev3.RouteConfiguration, uint64, error) {
	name := listenerName("outbound", o.Address)
	host, port, err := splitAddr(o.Address)
	if err != nil {
		return nil, nil, 0, err
	}
	l := &listenerv3.Listener{Name: name, Address: socketAddr(host, port), TrafficDirection: corev3.TrafficDirection_OUTBOUND}
	if o.Service != "" && ix.services[o.Service].Protocol == meshconfig.ProtocolTCP {
		l.FilterChains = []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{tcpProxy(name, ClusterName(o.Service, ""))}}}
		return l, nil, 0, nil
	}
	rc := &routev3.RouteConfiguration{Name: name}
	var h hasher
	h.add(uint64(len(name)))
	if o.Service != "" {
		// A port bound to one service: every host name goes there.
		vh := shared[o.Service].vhost
		rc.VirtualHosts = []*routev3.VirtualHost{{Name: vh.Name, Domains: []string{"*"}, Routes: vh.Routes}}
		h.add(shared[o.Service].vhostHash)
	} else {
		for _, svc := range egress {
			if ix.services[svc].Protocol == meshconfig.ProtocolTCP {
				continue
			}
			rc.VirtualHosts = append(rc.VirtualHosts, shared[svc].vhost)
			h.add(shared[svc].vhostHash)
		}
	}
	for _, c := range name {
		h.add(uint64(c))
	}
	var filters []*hcmv3.HttpFilter
	if usesFault(rc.VirtualHosts) {
		filters = append(filters, httpFilter(FilterFault, &faultv3.HTTPFault{}))
	}
	l.FilterChains = []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{hcm(ix, name, name, filters)}}}
	return l, rc, h.sum(), nil
}

type inboundResult struct {
	listener *listenerv3.Listener
	route    *routev3.RouteConfiguration
	cluster  *clusterv3.Cluster
}

// inbound builds the listener in front of the local app, the static
// cluster to the app, and the inbound routes carrying the service's rate
// limit and authorization.
func inbound(ix *index, p *meshconfig.Proxy) (*inboundResult, error) {
	name := listenerName("inbound", p.Inbound.Address)
	host, port, err := splitAddr(p.Inbound.Address)
	if err != nil {
		return nil, err
	}
	appHost, appPort, err := splitAddr(p.Inbound.App)
	if err != nil {
		return nil, err
	}
	svc := ix.services[p.Service]
	protocol := meshconfig.ProtocolHTTP
	if svc != nil {
		protocol = svc.Protocol
	}
	// Named after the app, not the listener: proxies in front of the same
	// app address share one cluster value (and one snapshot entry).
	clusterName := "inbound|" + p.Inbound.App
	c := &clusterv3.Cluster{
		Name:                 clusterName,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:       durationpb.New(defaultConnectTimout),
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: clusterName, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: socketAddr(appHost, appPort)}}}},
		}}},
	}
	if protocol == meshconfig.ProtocolHTTP2 || protocol == meshconfig.ProtocolGRPC {
		tmp := &meshconfig.Service{Protocol: protocol}
		c.TypedExtensionProtocolOptions = cluster(tmp, nil, clusterName, false, nil).TypedExtensionProtocolOptions
	}
	out := &inboundResult{cluster: c}
	l := &listenerv3.Listener{Name: name, Address: socketAddr(host, port), TrafficDirection: corev3.TrafficDirection_INBOUND}
	var netFilter *listenerv3.Filter
	if protocol == meshconfig.ProtocolTCP {
		netFilter = tcpProxy(name, clusterName)
	} else {
		vh := &routev3.VirtualHost{Name: "inbound", Domains: []string{"*"}, Routes: []*routev3.Route{{
			Name:   "inbound-default",
			Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: clusterName}, Timeout: noTimeout()}},
		}}}
		var filters []*hcmv3.HttpFilter
		perFilter := map[string]*anypb.Any{}
		if svc != nil {
			// Authorization before the rate limit: a refused caller spends
			// no tokens of the service's budget.
			if az := ix.authz[svc.Name]; az != nil && len(az.Deny) > 0 {
				filters = append(filters, httpFilter(FilterRBACDeny, &rbacfilterv3.RBAC{}))
				perFilter[FilterRBACDeny] = mustAny(rbacPerRoute(az.Service, "deny", az.Deny, rbacv3.RBAC_DENY))
			}
			if az := ix.authz[svc.Name]; az != nil && len(az.Allow) > 0 {
				filters = append(filters, httpFilter(FilterRBAC, &rbacfilterv3.RBAC{}))
				perFilter[FilterRBAC] = mustAny(rbacPerRoute(az.Service, "allow", az.Allow, rbacv3.RBAC_ALLOW))
			}
			if rl := ix.rateLimit[svc.Name]; rl != nil {
				filters = append(filters, httpFilter(FilterRateLimit, &ratelimitv3.LocalRateLimit{StatPrefix: "local_rate_limit"}))
				perFilter[FilterRateLimit] = mustAny(localRateLimit(rl))
			}
		}
		if len(perFilter) > 0 {
			vh.TypedPerFilterConfig = perFilter
		}
		out.route = &routev3.RouteConfiguration{Name: name, VirtualHosts: []*routev3.VirtualHost{vh}}
		netFilter = hcm(ix, name, name, filters)
	}
	switch ix.mesh.Policy.MTLS {
	case meshconfig.MTLSStrict:
		l.FilterChains = []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{netFilter}, TransportSocket: downstreamTLS(protocol)}}
	case meshconfig.MTLSPermissive:
		l.ListenerFilters = []*listenerv3.ListenerFilter{{Name: FilterTLSInspector, ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&tlsinspectorv3.TlsInspector{})}}}
		l.FilterChains = []*listenerv3.FilterChain{
			{Name: "mtls", FilterChainMatch: &listenerv3.FilterChainMatch{TransportProtocol: "tls"}, Filters: []*listenerv3.Filter{netFilter}, TransportSocket: downstreamTLS(protocol)},
			{Name: "plaintext", FilterChainMatch: &listenerv3.FilterChainMatch{TransportProtocol: "raw_buffer"}, Filters: []*listenerv3.Filter{netFilter}},
		}
	default:
		l.FilterChains = []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{netFilter}}}
	}
	out.listener = l
	return out, nil
}

func downstreamTLS(protocol string) *corev3.TransportSocket {
	ctx := &tlsv3.DownstreamTlsContext{CommonTlsContext: commonTLS(protocol, nil), RequireClientCertificate: wrapperspb.Bool(true)}
	return &corev3.TransportSocket{Name: TransportSocketTLS, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(ctx)}}
}

func hcm(ix *index, statPrefix, routeName string, filters []*hcmv3.HttpFilter) *listenerv3.Filter {
	filters = append(filters, httpFilter(FilterRouter, &routerv3.Router{}))
	m := &hcmv3.HttpConnectionManager{
		StatPrefix: statPrefix,
		CodecType:  hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			ConfigSource: adsSource(), RouteConfigName: routeName,
		}},
		HttpFilters: filters,
		// Paths are normalised (RFC 3986), %2F/%5C decoded and slashes
		// merged before routing and authorization, so "/x/../admin",
		// "//admin" and "/public/..%2fadmin" meet the rules for "/admin"
		// (Istio's DECODE_AND_MERGE_SLASHES). No upgrade_configs: every
		// Upgrade is refused.
		NormalizePath:                wrapperspb.Bool(true),
		MergeSlashes:                 true,
		PathWithEscapedSlashesAction: hcmv3.HttpConnectionManager_UNESCAPE_AND_FORWARD,
		Tracing:                      tracing(ix),
		AccessLog:                    accessLog(ix),
	}
	return &listenerv3.Filter{Name: FilterHCM, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(m)}}
}

func httpFilter(name string, cfg proto.Message) *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{Name: name, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(cfg)}}
}

func tcpProxy(statPrefix, cluster string) *listenerv3.Filter {
	t := &tcpproxyv3.TcpProxy{StatPrefix: statPrefix, ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: cluster}}
	return &listenerv3.Filter{Name: FilterTCPProxy, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(t)}}
}

func secondsDur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
