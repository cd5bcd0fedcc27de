package config

import (
	"fmt"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/filter"
	"net"
	"strconv"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpoptsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/health"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/lb"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

func (cc *compileCtx) compileClusters() (map[string]*upstream.Cluster, error) {
	cla := map[string]*endpointv3.ClusterLoadAssignment{}
	for _, e := range cc.res.Endpoints {
		if err := validate("endpoints", e.GetClusterName(), e); err != nil {
			return nil, err
		}
		cla[e.GetClusterName()] = e
	}
	out := map[string]*upstream.Cluster{}
	for _, c := range cc.res.Clusters {
		if err := validate("cluster", c.GetName(), c); err != nil {
			return nil, err
		}
		if out[c.GetName()] != nil {
			return nil, fmt.Errorf("%w: cluster %q defined twice", ErrInvalid, c.GetName())
		}
		uc, err := cc.compileCluster(c, cla)
		if err != nil {
			return nil, fmt.Errorf("%w: cluster %q: %w", ErrInvalid, c.GetName(), err)
		}
		out[c.GetName()] = uc
	}
	return out, nil
}

func (cc *compileCtx) compileCluster(c *clusterv3.Cluster, cla map[string]*endpointv3.ClusterLoadAssignment) (*upstream.Cluster, error) {
	cfg := upstream.Config{Name: c.GetName(), ConnectTimeout: c.GetConnectTimeout().AsDuration(),
		Thresholds: resilience.DefaultThresholds()}
	switch c.GetLbPolicy() {
	case clusterv3.Cluster_ROUND_ROBIN:
		cfg.Policy = lb.RoundRobin
	case clusterv3.Cluster_LEAST_REQUEST:
		cfg.Policy = lb.LeastRequest
	case clusterv3.Cluster_RANDOM:
		cfg.Policy = lb.Random
	default:
		return nil, fmt.Errorf("lb_policy %v: %w", c.GetLbPolicy(), match.ErrUnsupported)
	}
	if th := c.GetCircuitBreakers().GetThresholds(); len(th) > 0 {
		t := th[0]
		if v := t.GetMaxConnections(); v != nil {
			cfg.Thresholds.MaxConnections = int64(v.GetValue())
		}
		if v := t.GetMaxPendingRequests(); v != nil {
			cfg.Thresholds.MaxPendingRequests = int64(v.GetValue())
		}
		if v := t.GetMaxRequests(); v != nil {
			cfg.Thresholds.MaxRequests = int64(v.GetValue())
		}
		if v := t.GetMaxRetries(); v != nil {
			cfg.Thresholds.MaxRetries = int64(v.GetValue())
		}
		if b := t.GetRetryBudget(); b != nil {
			rb := &resilience.RetryBudget{BudgetPercent: 20, MinRetryConcurrency: 3}
			if v := b.GetBudgetPercent(); v != nil {
				rb.BudgetPercent = v.GetValue()
			}
			if v := b.GetMinRetryConcurrency(); v != nil {
				rb.MinRetryConcurrency = int64(v.GetValue())
			}
			cfg.Thresholds.Budget = rb
		}
	}
	if od := c.GetOutlierDetection(); od != nil {
		oc := &health.OutlierConfig{Consecutive5xx: 5, BaseEjectionTime: od.GetBaseEjectionTime().AsDuration(),
			MaxEjectionTime: od.GetMaxEjectionTime().AsDuration(), MaxEjectionPercent: 10}
		if v := od.GetConsecutive_5Xx(); v != nil {
			oc.Consecutive5xx = int32(v.GetValue())
		}
		if v := od.GetConsecutiveGatewayFailure(); v != nil {
			oc.ConsecutiveGatewayFailure = int32(v.GetValue())
		}
		if v := od.GetMaxEjectionPercent(); v != nil {
			oc.MaxEjectionPercent = int(v.GetValue())
		}
		cfg.Outlier = oc
	}
	if a := c.GetTypedExtensionProtocolOptions()[typeHTTPOptionsKey]; a != nil {
		o, err := filter.Unpack[httpoptsv3.HttpProtocolOptions](a)
		if err != nil {
			return nil, fmt.Errorf("typed_extension_protocol_options: %w", err)
		}
		switch {
		case o.GetExplicitHttpConfig().GetHttp2ProtocolOptions() != nil:
			cfg.Protocol = upstream.ProtoHTTP2
		case o.GetUseDownstreamProtocolConfig() != nil, o.GetAutoConfig() != nil:
			cfg.Protocol = upstream.ProtoDownstream
		}
	}
	var sans []string
	var store *tlsid.Store
	if ts := c.GetTransportSocket(); ts != nil {
		up, err := filter.Unpack[tlsv3.UpstreamTlsContext](ts.GetTypedConfig())
		if err != nil {
			return nil, fmt.Errorf("transport_socket: %w", err)
		}
		store, sans, err = cc.tlsRefs("cluster/"+c.GetName(), up.GetCommonTlsContext())
		if err != nil {
			return nil, fmt.Errorf("transport_socket: %w", err)
		}
		cfg.TLS = tlsid.ClientConfig(store, up.GetSni(), sans, nil)
	}

	var addrs []lbAddr
	switch c.GetType() {
	case clusterv3.Cluster_STATIC, clusterv3.Cluster_STRICT_DNS, clusterv3.Cluster_LOGICAL_DNS:
		a, err := endpointAddrs(c.GetLoadAssignment())
		if err != nil {
			return nil, err
		}
		addrs = a
	case clusterv3.Cluster_EDS:
		name := c.GetEdsClusterConfig().GetServiceName()
		if name == "" {
			name = c.GetName()
		}
		if l := cla[name]; l != nil { // no assignment yet: a cluster without endpoints (503)
			a, err := endpointAddrs(l)
			if err != nil {
				return nil, err
			}
			addrs = a
		}
	default:
		return nil, fmt.Errorf("cluster type %v: %w", c.GetType(), match.ErrUnsupported)
	}
	eps := make([]*upstream.Endpoint, 0, len(addrs))
	for _, a := range addrs {
		e := cc.c.Endpoints.Endpoint(c.GetName(), a.addr)
		eps = append(eps, e)
		// Listed twice, once draining: it serves (the healthy entry wins).
		if draining, seen := cc.snap.endpoints[e]; !seen || draining {
			cc.snap.endpoints[e] = a.draining
		}
	}
	uc := upstream.New(cfg, eps)
	for _, hc := range c.GetHealthChecks() {
		chk, err := compileHealthCheck(hc)
		if err != nil {
			return nil, fmt.Errorf("health_checks: %w", err)
		}
		if cfg.TLS != nil {
			chk.TLS = cfg.TLS
		}
		cc.snap.Checks = append(cc.snap.Checks, Check{Cluster: c.GetName(), Config: chk, Target: uc})
	}
	return uc, nil
}

// typeHTTPOptionsKey is the typed_extension_protocol_options key of
// HttpProtocolOptions.
const typeHTTPOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// lbAddr is one endpoint of a load assignment and whether EDS marked it
// DRAINING.
type lbAddr struct {
	addr     string
	draining bool
}

// endpointAddrs lists a load assignment's endpoints. UNHEALTHY ones are
// left out (the control plane says so); DRAINING ones are kept, marked, so
// that their requests in flight complete (upstream.Endpoint.SetDraining),
// as Envoy keeps and excludes them (EDS_STATUS_DRAINING).
func endpointAddrs(l *endpointv3.ClusterLoadAssignment) ([]lbAddr, error) {
	var out []lbAddr
	for _, le := range l.GetEndpoints() {
		for _, lbe := range le.GetLbEndpoints() {
			if lbe.GetHealthStatus() == corev3.HealthStatus_UNHEALTHY {
				continue
			}
			sa := lbe.GetEndpoint().GetAddress().GetSocketAddress()
			if sa == nil {
				return nil, fmt.Errorf("endpoint without socket_address")
			}
			if sa.GetPortValue() == 0 {
				return nil, fmt.Errorf("endpoint %s without port_value", sa.GetAddress())
			}
			out = append(out, lbAddr{addr: net.JoinHostPort(sa.GetAddress(), strconv.Itoa(int(sa.GetPortValue()))),
				draining: lbe.GetHealthStatus() == corev3.HealthStatus_DRAINING})
		}
	}
	return out, nil
}

func compileHealthCheck(hc *corev3.HealthCheck) (health.CheckConfig, error) {
	c := health.CheckConfig{Interval: hc.GetInterval().AsDuration(), Timeout: hc.GetTimeout().AsDuration(),
		UnhealthyThreshold: int(hc.GetUnhealthyThreshold().GetValue()), HealthyThreshold: int(hc.GetHealthyThreshold().GetValue())}
	switch h := hc.GetHealthChecker().(type) {
	case *corev3.HealthCheck_HttpHealthCheck_:
		c.HTTPPath, c.Host = h.HttpHealthCheck.GetPath(), h.HttpHealthCheck.GetHost()
	case *corev3.HealthCheck_TcpHealthCheck_:
	default:
		return c, fmt.Errorf("health checker %T: %w", h, match.ErrUnsupported)
	}
	return c, nil
}
