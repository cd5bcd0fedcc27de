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
	// outbound[svc][i] is where svc's app sends its i-th call.
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
		if err := startGraphService(ctx, t, g, s, app[s.Name], outbound[s.Name]); err != nil {
			return err
		}
	}
	t.graphApps = app
	t.target = "http://" + inbound[g.Entry] + "/"
	if !meshed {
		return nil
	}
	t.features = &results.MeshFeatures{Proxy: "meshproxy", MTLS: spec.Case.MTLS, Telemetry: spec.Mesh.Telemetry, Workers: spec.Mesh.Workers, XDS: true}
	entry, err := ports.Free()
	if err != nil {
		return err
	}
	mesh := graphMesh(g, app, inbound, outbound, entry, spec.Case.MTLS)
	if t.mesh, err = startMeshcontrol(ctx, t, mesh); err != nil {
		return err
	}
	for _, p := range mesh.Proxies {
		role := results.RoleServerProxy
		if p.Service == "" {
			role = results.RoleClientProxy
		}
		if err := startMeshproxy(ctx, t, spec, p.ID, role); err != nil {
			return err
		}
	}
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
		protocol := meshconfig.ProtocolHTTP
		if s.Type == graph.TypeGRPC {
			protocol = meshconfig.ProtocolGRPC // h2 to the app, and between sidecars
		}
		m.Services = append(m.Services, meshconfig.Service{Name: s.Name, Protocol: protocol,
			Endpoints: []meshconfig.Endpoint{{Address: inbound[s.Name]}}})
		p := meshconfig.Proxy{ID: s.Name + "-proxy", Service: s.Name, Inbound: &meshconfig.Inbound{Address: inbound[s.Name], App: app[s.Name]}}
		for i, c := range s.Callees() {
			p.Outbound = append(p.Outbound, meshconfig.Outbound{Address: outbound[s.Name][i], Service: c})
		}
		p.Egress = append(p.Egress, s.Callees()...)
		m.Proxies = append(m.Proxies, p)
	}
	m.Proxies = append(m.Proxies, meshconfig.Proxy{ID: "client-proxy",
		Outbound: []meshconfig.Outbound{{Address: entry, Service: g.Entry}}, Egress: []string{g.Entry}})
	m.Normalize()
	return m
}

func startGraphService(ctx context.Context, t *topology, g *graph.Graph, s graph.Service, addr string, calls []string) error {
	o := graph.OptionsOf(&s)
	o.Downstreams = map[string]string{}
	for i, c := range s.Callees() {
		o.Downstreams[c] = graph.DownstreamURL(g.Service(c), calls[i])
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
func startMeshproxy(ctx context.Context, t *topology, spec platform.Spec, name, role string) error {
	admin, err := ports.Free()
	if err != nil {
		return err
	}
	xa, env := t.mesh.xdsArgs(spec.Case.MTLS, name)
	args := append([]string{"--id", name, "--admin", admin}, xa...)
	args = append(args, spec.Mesh.ProxyArgs...)
	_, err = t.run(ctx, name, role, t.p.bins.Meshproxy, args, append(gomaxprocsEnv(spec.Mesh.Workers), env...), "http://"+admin+"/ready")
	return err
}
