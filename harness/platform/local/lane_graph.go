package local

import (
	"context"
	"fmt"

	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// startGraph brings up a service graph: one `meshbench graphsvc` per
// service and, in the mesh lane, one meshproxy per service (inbound in
// front of the app, one outbound listener per downstream it calls) plus a
// client-side proxy for the load client. In the none lane services call
// each other directly.
func startGraph(ctx context.Context, t *topology, spec platform.Spec) error {
	g := spec.Graph
	mesh := spec.Lane == platform.LaneMesh
	if spec.Lane != platform.LaneNone && !mesh {
		return fmt.Errorf("lane %s cannot run a service graph: %w", spec.Lane, platform.ErrLaneUnavailable)
	}
	app := map[string]string{}     // service -> app address
	inbound := map[string]string{} // service -> address callers use
	for _, s := range g.Services {
		var err error
		if app[s.Name], err = freePort(); err != nil {
			return err
		}
		inbound[s.Name] = app[s.Name]
		if mesh {
			if inbound[s.Name], err = freePort(); err != nil {
				return err
			}
		}
	}
	// outbound[svc][i] is where svc's app sends its i-th call.
	outbound := map[string][]string{}
	for _, s := range g.Services {
		for _, c := range s.Calls {
			addr := inbound[c]
			if mesh {
				var err error
				if addr, err = freePort(); err != nil {
					return err
				}
			}
			outbound[s.Name] = append(outbound[s.Name], addr)
		}
	}
	for _, s := range g.Services {
		if err := startGraphService(ctx, t, s, app[s.Name], outbound[s.Name]); err != nil {
			return err
		}
	}
	t.target = "http://" + inbound[g.Entry] + "/"
	if !mesh {
		return nil
	}
	t.features = &results.MeshFeatures{Proxy: "meshproxy", MTLS: spec.Case.MTLS, Telemetry: spec.Mesh.Telemetry, Workers: spec.Mesh.Workers}
	for _, s := range g.Services {
		args := []string{"--inbound", inbound[s.Name] + "=" + app[s.Name]}
		for i, c := range s.Calls {
			args = append(args, "--outbound", outbound[s.Name][i]+"="+inbound[c])
		}
		if err := startMeshproxy(ctx, t, spec, s.Name+"-proxy", results.RoleServerProxy, args); err != nil {
			return err
		}
	}
	entry, err := freePort()
	if err != nil {
		return err
	}
	if err := startMeshproxy(ctx, t, spec, "client-proxy", results.RoleClientProxy, []string{"--outbound", entry + "=" + inbound[g.Entry]}); err != nil {
		return err
	}
	t.target = "http://" + entry + "/"
	return nil
}

func startGraphService(ctx context.Context, t *topology, s graph.Service, addr string, calls []string) error {
	args := []string{"graphsvc", "--listen", addr, "--name", s.Name, "--work", s.Work.String(), "--response-bytes", fmt.Sprint(s.ResponseBytes)}
	for _, c := range calls {
		args = append(args, "--call", "http://"+c)
	}
	_, err := t.run(ctx, s.Name, results.RoleApp, t.p.bins.Meshbench, args, nil, "http://"+addr+"/healthz")
	return err
}

// startMeshproxy starts one meshproxy in static mode with the given
// listener arguments.
func startMeshproxy(ctx context.Context, t *topology, spec platform.Spec, name, role string, listeners []string) error {
	admin, err := freePort()
	if err != nil {
		return err
	}
	args := append([]string{"--id", name, "--admin", admin}, listeners...)
	args = append(args, spec.Mesh.ProxyArgs...)
	_, err = t.run(ctx, name, role, t.p.bins.Meshproxy, args, gomaxprocsEnv(spec.Mesh.Workers), "http://"+admin+"/ready")
	return err
}
