package graphmesh

import (
	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/mesh-under-test/control/translate"
)

// Hops says where meshproxy records each edge of g:
// meshproxy_request_duration_seconds by direction and destination cluster,
// the caller's sidecar outbound to the callee's cluster (one per version
// behind a split, named as meshcontrol names them), the callee's sidecar
// inbound. metricsURL returns a service's sidecar's Prometheus endpoint.
func Hops(g *graph.Graph, metricsURL func(service string) string) *platform.HopMetrics {
	m := &platform.HopMetrics{Family: "meshproxy_request_duration_seconds", DirectionLabel: "direction",
		ClusterLabel: "destination", Inbound: "inbound", Outbound: "outbound"}
	inbound := func(svcs ...string) []platform.HopSeries {
		var out []platform.HopSeries
		for _, s := range svcs {
			out = append(out, platform.HopSeries{MetricsURL: metricsURL(s)})
		}
		return out
	}
	// clusters are the outbound clusters a caller of name sends to, and
	// the services behind them.
	clusters := func(name string) ([]string, []string) {
		if sp := g.Split(name); sp != nil {
			var cs, svcs []string
			for _, v := range sp.Versions {
				cs = append(cs, translate.ClusterName(name, v.Service))
				svcs = append(svcs, v.Service)
			}
			return cs, svcs
		}
		return []string{translate.ClusterName(name, "")}, []string{name}
	}
	for _, s := range g.Services {
		for _, c := range s.Callees() {
			cs, svcs := clusters(c)
			h := platform.GraphHop{From: s.Name, To: c, Callee: inbound(svcs...)}
			for _, cl := range cs {
				h.Caller = append(h.Caller, platform.HopSeries{MetricsURL: metricsURL(s.Name), Cluster: cl})
			}
			m.Hops = append(m.Hops, h)
		}
	}
	for _, sp := range g.Splits {
		for _, v := range sp.Versions {
			h := platform.GraphHop{From: sp.Name, To: v.Service, Callee: inbound(v.Service)}
			for _, s := range g.Services {
				for _, c := range s.Callees() {
					if c == sp.Name {
						h.Caller = append(h.Caller, platform.HopSeries{MetricsURL: metricsURL(s.Name), Cluster: translate.ClusterName(sp.Name, v.Service)})
					}
				}
			}
			m.Hops = append(m.Hops, h)
		}
	}
	return m
}
