package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/filter"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid"
)

// Type URLs of the filters this proxy implements; anything else is rejected.
const (
	typeHCM      = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
	typeTCPProxy = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
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
	out.SNI = out.sniConfig()
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
	sn, err := compileServerNames(fc.GetFilterChainMatch().GetServerNames())
	if err != nil {
		return nil, err
	}
	ch.ServerNames = sn
	if len(sn) > 0 && fc.GetTransportSocket() == nil {
		return nil, errors.New("server_names need a TLS transport_socket (this proxy reads SNI while terminating TLS)")
	}
	if ts := fc.GetTransportSocket(); ts != nil {
		dt, err := filter.Unpack[tlsv3.DownstreamTlsContext](ts.GetTypedConfig())
		if err != nil {
			return nil, fmt.Errorf("transport_socket: %w", err)
		}
		st, sans, err := cc.tlsRefs(fmt.Sprintf("listener/%s/%d", listener, i), dt.GetCommonTlsContext())
		if err != nil {
			return nil, fmt.Errorf("transport_socket: %w", err)
		}
		ch.RequireClient = dt.GetRequireClientCertificate().GetValue()
		if len(sans) > 0 && !ch.RequireClient {
			// Envoy checks SANs of a certificate the client chose to send;
			// this proxy only asks for one when it is required.
			return nil, fmt.Errorf("transport_socket: match_typed_subject_alt_names needs require_client_certificate: %w", match.ErrUnsupported)
		}
		ch.TLS = tlsid.ServerConfig(st, ch.RequireClient, sans)
	}
	if len(fc.GetFilters()) != 1 {
		return nil, fmt.Errorf("want exactly one network filter (http_connection_manager or tcp_proxy), got %d", len(fc.GetFilters()))
	}
	f := fc.GetFilters()[0]
	switch url := f.GetTypedConfig().GetTypeUrl(); url {
	case typeHCM:
		h, err := filter.Unpack[hcmv3.HttpConnectionManager](f.GetTypedConfig())
		if err != nil {
			return nil, err
		}
		ch.HTTP, err = cc.compileHCM(h)
		if err != nil {
			return nil, fmt.Errorf("http_connection_manager: %w", err)
		}
	case typeTCPProxy:
		t, err := filter.Unpack[tcpv3.TcpProxy](f.GetTypedConfig())
		if err != nil {
			return nil, err
		}
		ch.TCP = cc.snap.Clusters[t.GetCluster()]
		ch.TCPIdleTimeout = duration(t.GetIdleTimeout(), DefaultIdleTimeout)
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
		StreamIdleTimeout: duration(h.GetStreamIdleTimeout(), DefaultStreamIdleTimeout)}
	var err error
	if out.Tracing, err = cc.compileTracing(h.GetTracing()); err != nil {
		return nil, err
	}
	if out.Path, err = filter.CompilePathOptions(h); err != nil {
		return nil, err
	}
	if out.Limits, err = compileLimits(h); err != nil {
		return nil, err
	}
	hx := &hcmCtx{}
	if hx.chain, err = filter.CompileChain(h.GetHttpFilters()); err != nil {
		return nil, err
	}
	if hx.upgrades, err = compileUpgrades(h.GetUpgradeConfigs()); err != nil {
		return nil, err
	}
	switch rs := h.GetRouteSpecifier().(type) {
	case *hcmv3.HttpConnectionManager_RouteConfig:
		t, err := cc.compileRouteConfig(rs.RouteConfig, hx)
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
				t, err := cc.compileRouteConfig(rc, hx)
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
	for _, al := range h.GetAccessLog() {
		frac, err := accessLogFraction(al)
		if err != nil {
			return nil, fmt.Errorf("access_log %q: %w", al.GetName(), err)
		}
		out.AccessLogFraction = frac
	}
	return out, nil
}

// hcmCtx is what routes need from their HCM: its filter chain (to resolve
// per-filter config against) and the upgrade types it allows.
type hcmCtx struct {
	chain    filter.Chain
	upgrades map[string]bool // lower-case type -> enabled
}

// compileUpgrades reads the HCM's upgrade_configs. Without an entry, an
// upgrade type is refused (403), as in Envoy.
func compileUpgrades(ucs []*hcmv3.HttpConnectionManager_UpgradeConfig) (map[string]bool, error) {
	out := map[string]bool{}
	for _, u := range ucs {
		t := strings.ToLower(u.GetUpgradeType())
		if t == "connect" {
			return nil, fmt.Errorf("upgrade_configs %q: %w", u.GetUpgradeType(), match.ErrUnsupported)
		}
		if len(u.GetFilters()) > 0 {
			return nil, fmt.Errorf("upgrade_configs %q filters: %w", u.GetUpgradeType(), match.ErrUnsupported)
		}
		if _, dup := out[t]; dup {
			return nil, fmt.Errorf("upgrade_configs: %q listed twice", u.GetUpgradeType())
		}
		out[t] = u.GetEnabled() == nil || u.GetEnabled().GetValue()
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
	return float64(filter.PerMillion(rf.GetPercentSampled(), 1_000_000)) / 1e6, nil
}
