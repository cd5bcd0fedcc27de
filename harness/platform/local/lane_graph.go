package local

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/platform/graphmesh"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/ports"
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
	mesh := graphmesh.Mesh(g, graphmesh.Addrs{App: app, Inbound: inbound, Outbound: outbound, Entry: entry}, spec.Case.MTLS)
	withTelemetry(mesh, spec.Mesh)
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
	t.hops = graphmesh.Hops(g, func(svc string) string { return "http://" + admins[svc] + "/metrics" })
	t.target = "http://" + entry + "/"
	return nil
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
	args = append(args, spec.Mesh.MeshproxyArgs()...)
	_, err = t.run(ctx, name, role, t.p.bins.Meshproxy, args, append(gomaxprocsEnv(spec.Mesh.Workers), env...), "http://"+admin+"/ready")
	return admin, err
}
