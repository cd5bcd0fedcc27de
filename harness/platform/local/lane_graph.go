package local

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/ports"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// startGraph brings up a service graph: one `meshbench graphsvc` per
// service and, in the mesh lane, meshcontrol plus one meshproxy per service
// (inbound in front of the app, one outbound listener per downstream it
// calls) and a client-side proxy for the load client, all on xDS. In the
// none lane services call each other directly.
func startGraph(ctx context.Context, t *topology, spec platform.Spec) error {
	g := spec.Graph
	meshed := spec.Lane == platform.LaneMesh
	if spec.Lane != platform.LaneNone && !meshed {
		return fmt.Errorf("lane %s cannot run a service graph: %w", spec.Lane, platform.ErrLaneUnavailable)
	}
	app := map[string]string{}     // service -> app address
	inbound := map[string]string{} // service -> address callers use
	for _, s := range g.Services {
		var err error
		if app[s.Name], err = ports.Free(); err != nil {
			return err
		}
		inbound[s.Name] = app[s.Name]
		if meshed {
			if inbound[s.Name], err = ports.Free(); err != nil {
				return err
			}
		}
	}
	// outbound[svc][i] is where svc's app sends its i-th call (a split's
	// name, with no mesh, has no address: the app picks a version).
	outbound := map[string][]string{}
	for _, s := range g.Services {
		for _, c := range s.Callees() {
			addr := inbound[c]
			if meshed {
				var err error
				if addr, err = ports.Free(); err != nil {
					return err
				}
			}
			outbound[s.Name] = append(outbound[s.Name], addr)
		}
	}
	for _, s := range g.Services {
		if err := startGraphService(ctx, t, g, s, app[s.Name], outbound[s.Name], inbound); err != nil {
			return err
		}
	}
	t.graphApps = app
	t.target = "http://" + inbound[g.Entry] + "/"
	if !meshed {
		return nil
	}
	t.features = withBinarySize(&results.MeshFeatures{Proxy: "meshproxy", MTLS: spec.Case.MTLS, Telemetry: spec.Mesh.Telemetry,
		Workers: spec.Mesh.Workers, XDS: true}, t.p.bins.Meshproxy)
	entry, err := ports.Free()
	if err != nil {
		return err
	}
	mesh := graphMesh(g, app, inbound, outbound, entry, spec.Case.MTLS)
	if t.mesh, err = startMeshcontrol(ctx, t, mesh); err != nil {
		return err
	}
	admins := map[string]string{} // service -> its sidecar's admin address
	for _, p := range mesh.Proxies {
		role := results.RoleServerProxy
		if p.Service == "" {
			role = results.RoleClientProxy
		}
		admin, err := startMeshproxy(ctx, t, spec, p.ID, role)
		if err != nil {
			return err
		}
		admins[p.Service] = admin
	}
	t.hops = graphHops(g, admins)
	t.target = "http://" + entry + "/"
	return nil
}

// graphMesh describes a service graph to meshcontrol: per service, a proxy
// with an inbound listener in front of its app and one outbound listener
// per downstream (scoped to what it calls), plus the load client's proxy.
func graphMesh(g *graph.Graph, app, inbound map[string]string, outbound map[string][]string, entry string, mtls bool) *meshconfig.Mesh {
	m := &meshconfig.Mesh{Revision: 1}
	if mtls {
		m.Policy.MTLS = meshconfig.MTLSStrict
	}
	for _, s := range g.Services {
		protocol := meshProtocol(&s)
		m.Services = append(m.Services, meshconfig.Service{Name: s.Name, Protocol: protocol,
			Endpoints: []meshconfig.Endpoint{{Address: inbound[s.Name]}}})
		p := meshconfig.Proxy{ID: s.Name + "-proxy", Service: s.Name, Inbound: &meshconfig.Inbound{Address: inbound[s.Name], App: app[s.Name]}}
		for i, c := range s.Callees() {
			p.Outbound = append(p.Outbound, meshconfig.Outbound{Address: outbound[s.Name][i], Service: c})
		}
		p.Egress = append(p.Egress, s.Callees()...)
		m.Proxies = append(m.Proxies, p)
	}
	for _, sp := range g.Splits {
		splitMesh(m, g, sp, inbound)
	}
	m.Proxies = append(m.Proxies, meshconfig.Proxy{ID: "client-proxy",
		Outbound: []meshconfig.Outbound{{Address: entry, Service: g.Entry}}, Egress: []string{g.Entry}})
	m.Normalize()
	return m
}

// meshProtocol is how the mesh carries calls to s.
func meshProtocol(s *graph.Service) string {
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
	svc := meshconfig.Service{Name: sp.Name, Protocol: meshProtocol(g.Service(sp.Versions[0].Service))}
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

// startGraphService starts s's app; calls[i] is where its i-th callee is
// (its sidecar's outbound listener, or with no mesh the callee itself),
// inbound where each service listens (for splits with no mesh).
func startGraphService(ctx context.Context, t *topology, g *graph.Graph, s graph.Service, addr string, calls []string, inbound map[string]string) error {
	o := graph.OptionsOf(&s)
	o.Downstreams = map[string]string{}
	for i, c := range s.Callees() {
		sp := g.Split(c)
		if sp == nil || t.spec.Lane == platform.LaneMesh {
			callee := g.Service(c)
			if sp != nil {
				callee = g.Service(sp.Versions[0].Service) // one type for all versions
			}
			o.Downstreams[c] = graph.DownstreamURL(callee, calls[i])
			continue
		}
		if o.Splits == nil {
			o.Splits = map[string][]graph.Target{}
		}
		for _, v := range sp.Versions {
			o.Splits[c] = append(o.Splits[c], graph.Target{URL: graph.DownstreamURL(g.Service(v.Service), inbound[v.Service]), Weight: v.Weight})
		}
	}
	spec, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("service %s: %w", s.Name, err)
	}
	args := []string{"graphsvc", "--listen", addr, "--spec", string(spec)}
	_, err = t.run(ctx, s.Name, results.RoleApp, t.p.bins.Meshbench, args, nil, "http://"+addr+"/healthz")
	return err
}

// startMeshproxy starts one meshproxy configured by the topology's meshcontrol.
// It returns the proxy's admin address.
func startMeshproxy(ctx context.Context, t *topology, spec platform.Spec, name, role string) (string, error) {
	admin, err := ports.Free()
	if err != nil {
		return "", err
	}
	xa, env := t.mesh.xdsArgs(spec.Case.MTLS, name)
	args := append([]string{"--id", name, "--admin", admin}, xa...)
	args = append(args, spec.Mesh.ProxyArgs...)
	_, err = t.run(ctx, name, role, t.p.bins.Meshproxy, args, append(gomaxprocsEnv(spec.Mesh.Workers), env...), "http://"+admin+"/ready")
	return admin, err
}
