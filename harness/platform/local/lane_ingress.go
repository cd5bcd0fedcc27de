package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/ports"
	"github.com/meshbench/meshbench/harness/results"
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
	addr := func() string { a, e := ports.Free(); err = errors.Join(err, e); return a }
	server := side{Name: "server-proxy", Role: results.RoleServerProxy, Inbound: true, Listen: addr(), Upstream: app}
	gw := side{Name: gatewayName, Role: results.RoleGateway, Listen: addr(), Upstream: server.Listen}
	sides := []side{server, gw}
	o := meshconfig.LaneOptions{Mode: spec.Mode, Protocol: platform.MeshProtocol(spec.Case.Protocol), MTLS: spec.Case.MTLS, Revision: 1,
		ServerProxyID: server.Name, GatewayID: gw.Name, ServerInbound: server.Listen, Gateway: gw.Listen, App: app}
	if spec.Mode == platform.ModeIngressBoth {
		client := side{Name: "client-proxy", Role: results.RoleClientProxy, Listen: addr(), Upstream: gw.Listen}
		sides = append(sides, client)
		o.ClientProxyID, o.ClientOutbound = client.Name, client.Listen
	}
	if err != nil {
		return err
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
	if t.mesh, err = startMeshcontrol(ctx, t, mesh); err != nil {
		return err
	}
	t.features = &results.MeshFeatures{Proxy: "meshproxy", MTLS: spec.Case.MTLS, Telemetry: spec.Mesh.Telemetry, Workers: spec.Mesh.Workers,
		XDS: true, Extra: map[string]string{"control_plane": "meshcontrol", "gateway": "ingress"}}
	t.addrs = map[string]string{results.RoleApp: app}
	for _, s := range sides {
		t.addrs[s.Name] = s.Listen
		if err := meshStart(ctx, t, spec, s); err != nil {
			if ce := (*platform.ComponentError)(nil); errors.As(err, &ce) {
				return err
			}
			return fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	t.target = urlFor(sides[len(sides)-1].Listen)
	return nil
}
