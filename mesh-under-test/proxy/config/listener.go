package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacfilter "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/authz"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid"
)

// Type URLs of the filters this proxy implements; anything else is rejected.
const (
	typeHCM      = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
	typeTCPProxy = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
	typeRouter   = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
	typeFault    = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault"
	typeLRL      = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
	typeRBAC     = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
	typeRBACPR   = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute"
)

func (cc *compileCtx) compileListener(l *listenerv3.Listener) (*Listener, error) {
	sa := l.GetAddress().GetSocketAddress()
	if sa == nil {
		return nil, errors.New("address.socket_address is required")
	}
	out := &Listener{Name: l.GetName(),
		Address: net.JoinHostPort(sa.GetAddress(), strconv.Itoa(int(sa.GetPortValue())))}
	switch l.GetTrafficDirection() {
	case corev3.TrafficDirection_INBOUND:
		out.Direction = Inbound
	case corev3.TrafficDirection_OUTBOUND:
		out.Direction = Outbound
	default:
		out.Direction = Unspecified
	}
	if len(l.GetFilterChains()) == 0 {
		return nil, errors.New("no filter_chains")
	}
	for i, fc := range l.GetFilterChains() {
		ch, err := cc.compileChain(l.GetName(), i, fc)
		if err != nil {
			return nil, fmt.Errorf("filter_chains[%d]: %w", i, err)
		}
		out.Chains = append(out.Chains, ch)
	}
	return out, nil
}

func (cc *compileCtx) compileChain(listener string, i int, fc *listenerv3.FilterChain) (*Chain, error) {
	ch := &Chain{Name: fc.GetName()}
	switch tp := fc.GetFilterChainMatch().GetTransportProtocol(); tp {
	case "":
	case "tls":
		ch.MatchTLS = true
	case "raw_buffer":
	default:
		return nil, fmt.Errorf("transport_protocol %q: %w", tp, match.ErrUnsupported)
	}
	if ts := fc.GetTransportSocket(); ts != nil {
		dt, err := unpack[tlsv3.DownstreamTlsContext](ts.GetTypedConfig())
		if err != nil {
			return nil, fmt.Errorf("transport_socket: %w", err)
		}
		st, _, err := cc.tlsRefs(fmt.Sprintf("listener/%s/%d", listener, i), dt.GetCommonTlsContext())
		if err != nil {
			return nil, fmt.Errorf("transport_socket: %w", err)
		}
		ch.RequireClient = dt.GetRequireClientCertificate().GetValue()
		ch.TLS = tlsid.ServerConfig(st, ch.RequireClient)
	}
	if len(fc.GetFilters()) != 1 {
		return nil, fmt.Errorf("want exactly one network filter (http_connection_manager or tcp_proxy), got %d", len(fc.GetFilters()))
	}
	f := fc.GetFilters()[0]
	switch url := f.GetTypedConfig().GetTypeUrl(); url {
	case typeHCM:
		h, err := unpack[hcmv3.HttpConnectionManager](f.GetTypedConfig())
		if err != nil {
			return nil, err
		}
		if err := validate("http_connection_manager", h.GetStatPrefix(), h); err != nil {
			return nil, err
		}
		ch.HTTP, err = cc.compileHCM(h)
		if err != nil {
			return nil, fmt.Errorf("http_connection_manager: %w", err)
		}
	case typeTCPProxy:
		t, err := unpack[tcpv3.TcpProxy](f.GetTypedConfig())
		if err != nil {
			return nil, err
		}
		ch.TCP = cc.snap.Clusters[t.GetCluster()]
		if ch.TCP == nil {
			return nil, fmt.Errorf("tcp_proxy: unknown cluster %q", t.GetCluster())
		}
	default:
		return nil, fmt.Errorf("network filter %q (%s): %w", f.GetName(), url, match.ErrUnsupported)
	}
	return ch, nil
}

func (cc *compileCtx) compileHCM(h *hcmv3.HttpConnectionManager) (*HTTP, error) {
	out := &HTTP{StatPrefix: h.GetStatPrefix(), GenerateTraces: h.GetTracing() != nil,
		StreamIdleTimeout: h.GetStreamIdleTimeout().AsDuration()}
	switch rs := h.GetRouteSpecifier().(type) {
	case *hcmv3.HttpConnectionManager_RouteConfig:
		t, err := cc.compileRouteConfig(rs.RouteConfig)
		if err != nil {
			return nil, err
		}
		out.Routes = t
	case *hcmv3.HttpConnectionManager_Rds:
		name := rs.Rds.GetRouteConfigName()
		for _, rc := range cc.res.Routes {
			if rc.GetName() == name {
				if err := validate("route_configuration", name, rc); err != nil {
					return nil, err
				}
				t, err := cc.compileRouteConfig(rc)
				if err != nil {
					return nil, err
				}
				out.Routes = t
			}
		}
		if out.Routes == nil {
			return nil, fmt.Errorf("rds: unknown route_configuration %q", name)
		}
	default:
		return nil, fmt.Errorf("route specifier %T: %w", rs, match.ErrUnsupported)
	}
	sawRouter := false
	for _, f := range h.GetHttpFilters() {
		if sawRouter {
			return nil, fmt.Errorf("http filter %q after the router", f.GetName())
		}
		var err error
		switch url := f.GetTypedConfig().GetTypeUrl(); url {
		case typeRouter:
			sawRouter = true
		case typeFault:
			var fc *faultv3.HTTPFault
			if fc, err = unpack[faultv3.HTTPFault](f.GetTypedConfig()); err == nil {
				out.Fault, err = compileFault(fc)
			}
		case typeLRL:
			var lc *lrlv3.LocalRateLimit
			if lc, err = unpack[lrlv3.LocalRateLimit](f.GetTypedConfig()); err == nil {
				out.RateLimit, err = compileRateLimit(lc)
			}
		case typeRBAC:
			var rc *rbacfilter.RBAC
			if rc, err = unpack[rbacfilter.RBAC](f.GetTypedConfig()); err == nil {
				out.RBAC, err = authz.Compile(rc)
			}
		default:
			err = fmt.Errorf("%s: %w", url, match.ErrUnsupported)
		}
		if err != nil {
			return nil, fmt.Errorf("http filter %q: %w", f.GetName(), err)
		}
	}
	if !sawRouter {
		return nil, errors.New("http_filters must end with envoy.filters.http.router")
	}
	for _, al := range h.GetAccessLog() {
		frac, err := accessLogFraction(al)
		if err != nil {
			return nil, fmt.Errorf("access_log %q: %w", al.GetName(), err)
		}
		out.AccessLogFraction = frac
	}
	return out, nil
}

// accessLogFraction reads the sampling of an access log: every request, or
// runtime_filter.percent_sampled of them. The sink is always the proxy's
// structured stdout log (file/stream sinks are treated alike).
func accessLogFraction(al *accesslogv3.AccessLog) (float64, error) {
	f := al.GetFilter()
	if f == nil {
		return 1, nil
	}
	rf := f.GetRuntimeFilter()
	if rf == nil {
		return 0, fmt.Errorf("access log filter %T: %w (only runtime_filter sampling)", f.GetFilterSpecifier(), match.ErrUnsupported)
	}
	return float64(perMillion(rf.GetPercentSampled(), 1_000_000)) / 1e6, nil
}
