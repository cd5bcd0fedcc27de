package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/ports"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// gatewayName is the ingress gateway's process name and xDS node id.
const gatewayName = "ingress-gateway"

// meshLaneStarter runs the mesh lane: Istio's sidecar modes, or an ingress
// gateway in front of the server sidecar in the ingress modes.
func meshLaneStarter() laneStarter {
	sidecars := sidecarLane(meshSidecar)
	return func(ctx context.Context, t *topology, spec platform.Spec) error {
		if results.IsIngressMode(spec.Mode) {
			return startMeshIngress(ctx, t, spec)
		}
		return sidecars(ctx, t, spec)
	}
}

// startMeshIngress builds the ingress modes, configured by meshcontrol:
// ingress: loadgen -> ingress-gateway -> server-proxy -> app;
// ingress+both: loadgen -> client-proxy -> ingress-gateway -> server-proxy -> app.
// The load client speaks plaintext to the first proxy (as Istio's
// benchmark drives its ingress gateway); with mTLS on, the gateway calls
// the server sidecar over mTLS.
func startMeshIngress(ctx context.Context, t *topology, spec platform.Spec) error {
	if t.p.bins.Meshcontrol == "" {
		return fmt.Errorf("mode %s needs meshcontrol (the gateway is configured over xDS only): %w", spec.Mode, platform.ErrLaneUnavailable)
	}
	app, err := t.startApp(ctx)
	if err != nil {
		return err
	}
	sides, err := ingressSides(spec.Mode, app)
	if err != nil {
		return err
	}
	server, gw := sides[0], sides[1]
	o := meshconfig.LaneOptions{Mode: spec.Mode, Protocol: platform.MeshProtocol(spec.Case.Protocol), MTLS: spec.Case.MTLS, Revision: 1,
		ServerProxyID: server.Name, GatewayID: gw.Name, ServerInbound: server.Listen, Gateway: gw.Listen, App: app}
	if len(sides) > 2 {
		o.ClientProxyID, o.ClientOutbound = sides[2].Name, sides[2].Listen
	}
	mesh, err := meshconfig.Lane(o)
	if err != nil {
		return err
	}
	if p := spec.Mesh.Policy; p != nil {
		mesh.Policy.Destinations = append(mesh.Policy.Destinations, p.Destinations...)
		mesh.Policy.Routes = append(mesh.Policy.Routes, p.Routes...)
		mesh.Normalize()
	}
	withTelemetry(mesh, spec.Mesh)
	if t.mesh, err = startMeshcontrol(ctx, t, mesh); err != nil {
		return err
	}
	t.features = withBinarySize(&results.MeshFeatures{Proxy: "meshproxy", MTLS: spec.Case.MTLS, Telemetry: spec.Mesh.Telemetry, Workers: spec.Mesh.Workers,
		XDS: true, Extra: map[string]string{"control_plane": "meshcontrol", "gateway": "ingress"}}, t.p.bins.Meshproxy)
	t.addrs = map[string]string{results.RoleApp: app}
	if err := startSides(ctx, t, spec, meshStart, sides); err != nil {
		return err
	}
	t.target = urlFor(sides[len(sides)-1].Listen)
	return nil
}

// ingressSides lays out the ingress modes' proxies on free ports, in start
// order (the app's end first): the server sidecar in front of app, the
// gateway in front of it, and in ingress+both the client sidecar in front
// of the gateway, its hop to the gateway plaintext (the gateway's listener
// is no sidecar's inbound: the load client and the client sidecar speak to
// it alike). The mesh lane and the reference lanes share it, so their
// ingress topologies are the same.
func ingressSides(mode, app string) ([]side, error) {
	var err error
	addr := func() string { a, e := ports.Free(); err = errors.Join(err, e); return a }
	server := side{Name: "server-proxy", Role: results.RoleServerProxy, Inbound: true, Listen: addr(), Upstream: app}
	gw := side{Name: gatewayName, Role: results.RoleGateway, Listen: addr(), Upstream: server.Listen}
	sides := []side{server, gw}
	switch mode {
	case platform.ModeIngress:
	case platform.ModeIngressBoth:
		sides = append(sides, side{Name: "client-proxy", Role: results.RoleClientProxy, Listen: addr(), Upstream: gw.Listen, PlainUpstream: true})
	default:
		return nil, fmt.Errorf("unknown ingress mode %q (ingress, ingress+both)", mode)
	}
	return sides, err
}
