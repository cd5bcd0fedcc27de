package graphmesh

import (
	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// ProxyID is the xDS node id of service's sidecar.
func ProxyID(service string) string { return service + "-proxy" }

// ClientProxyID is the xDS node id of the load client's sidecar (every
// load client's, when there are several: one configuration).
const ClientProxyID = "client-proxy"

// Addrs are where a graph's mesh lane listens. app[svc] is the service's
// app as its sidecar reaches it, inbound[svc] its sidecar's inbound
// listener (the mesh endpoint callers' sidecars send to), outbound[svc][i]
// its sidecar's listener for its i-th callee (graph.Service.Callees) as its
// app calls it, Entry the load client's sidecar listener for the entry
// service.
type Addrs struct {
	App, Inbound map[string]string
	Outbound     map[string][]string
	Entry        string
}

// Mesh describes a service graph to meshcontrol: per service, a proxy
// with an inbound listener in front of its app and one outbound listener
// per downstream (scoped to what it calls), plus the load client's proxy.
func Mesh(g *graph.Graph, a Addrs, mtls bool) *meshconfig.Mesh {
	m := &meshconfig.Mesh{Revision: 1}
	if mtls {
		m.Policy.MTLS = meshconfig.MTLSStrict
	}
	for _, s := range g.Services {
		protocol := Protocol(&s)
		m.Services = append(m.Services, meshconfig.Service{Name: s.Name, Protocol: protocol,
			Endpoints: []meshconfig.Endpoint{{Address: a.Inbound[s.Name]}}})
		p := meshconfig.Proxy{ID: ProxyID(s.Name), Service: s.Name, Inbound: &meshconfig.Inbound{Address: a.Inbound[s.Name], App: a.App[s.Name]}}
		for i, c := range s.Callees() {
			p.Outbound = append(p.Outbound, meshconfig.Outbound{Address: a.Outbound[s.Name][i], Service: c})
		}
		p.Egress = append(p.Egress, s.Callees()...)
		m.Proxies = append(m.Proxies, p)
	}
	for _, sp := range g.Splits {
		splitMesh(m, g, sp, a.Inbound)
	}
	m.Proxies = append(m.Proxies, meshconfig.Proxy{ID: ClientProxyID,
		Outbound: []meshconfig.Outbound{{Address: a.Entry, Service: g.Entry}}, Egress: []string{g.Entry}})
	m.Normalize()
	return m
}

// Protocol is how the mesh carries calls to s.
func Protocol(s *graph.Service) string {
	if s.Type == graph.TypeGRPC {
		return meshconfig.ProtocolGRPC // h2 to the app, and between sidecars
	}
	return meshconfig.ProtocolHTTP
}

// splitMesh makes a split one service of the mesh whose endpoints are its
// versions' inbound listeners, labelled by version, with one subset per
// version and a route splitting by the graph's weights: callers' sidecars
// receive it as xDS weighted_clusters and pick per request.
func splitMesh(m *meshconfig.Mesh, g *graph.Graph, sp graph.Split, inbound map[string]string) {
	const label = "version"
	svc := meshconfig.Service{Name: sp.Name, Protocol: Protocol(g.Service(sp.Versions[0].Service))}
	dest := meshconfig.Destination{Service: sp.Name}
	var rule meshconfig.Rule
	for _, v := range sp.Versions {
		svc.Endpoints = append(svc.Endpoints, meshconfig.Endpoint{Address: inbound[v.Service], Labels: map[string]string{label: v.Service}})
		dest.Subsets = append(dest.Subsets, meshconfig.Subset{Name: v.Service, Labels: map[string]string{label: v.Service}})
		rule.Split = append(rule.Split, meshconfig.WeightedDest{Subset: v.Service, Weight: v.Weight})
	}
	m.Services = append(m.Services, svc)
	m.Policy.Destinations = append(m.Policy.Destinations, dest)
	m.Policy.Routes = append(m.Policy.Routes, meshconfig.ServiceRoutes{Service: sp.Name, Rules: []meshconfig.Rule{rule}})
}
