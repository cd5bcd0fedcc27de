package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/ports"
)

// side is one sidecar position: the proxy listens on Listen and forwards
// to Upstream.
type side struct {
	Name     string // client-proxy | server-proxy
	Role     string // results.RoleClientProxy | RoleServerProxy
	Inbound  bool   // server side: in front of the app
	Listen   string
	Upstream string
	// PlainUpstream: the upstream is no sidecar's inbound listener, so the
	// hop to it stays plaintext in the mTLS case (ingress+both: the client
	// proxy calls the gateway, as the mesh lane's does).
	PlainUpstream bool
}

// sidecar starts the proxy of one lane in one position. setup runs once per
// topology before any proxy starts (a control plane, say) and returns the
// features the lane records.
type sidecar struct {
	setup func(ctx context.Context, t *topology, spec platform.Spec, sides []side) (*results.MeshFeatures, error)
	start func(ctx context.Context, t *topology, spec platform.Spec, s side) error
	// replicas: the lane can balance over several app replicas
	// (platform.MeshOptions.AppReplicas).
	replicas bool
	// ingress: the proxy can also be the ingress gateway (modes ingress
	// and ingress+both; lane_refingress.go).
	ingress bool
}

// sidecarLane builds the topology every proxy lane shares, in Istio's modes:
// both: loadgen -> client-proxy -> server-proxy -> app;
// clientonly: loadgen -> client-proxy -> app; serveronly: loadgen -> server-proxy -> app;
// and, for a proxy that can be the gateway (sidecar.ingress), the mesh
// lane's ingress modes (startSidecarIngress).
func sidecarLane(sc sidecar) laneStarter {
	return func(ctx context.Context, t *topology, spec platform.Spec) error {
		app, err := t.startApp(ctx)
		if err != nil {
			return err
		}
		mode := spec.Mode
		if mode == "" {
			mode = platform.ModeBoth
		}
		t.addrs = map[string]string{results.RoleApp: app}
		if n := spec.Mesh.AppReplicas; n > 1 {
			if !sc.replicas || mode != platform.ModeClientOnly {
				return fmt.Errorf("lane %s/%s cannot run %d app replicas (only mesh/clientonly balances over them)", spec.Lane, mode, n)
			}
			for i := 2; i <= n; i++ {
				name := fmt.Sprintf("%s-%d", results.RoleApp, i)
				addr, err := t.startAppNamed(ctx, name)
				if err != nil {
					return err
				}
				t.replicas = append(t.replicas, addr)
				t.addrs[name] = addr
			}
		}
		if results.IsIngressMode(mode) {
			if !sc.ingress {
				return fmt.Errorf("lane %s has no ingress form: %w", spec.Lane, platform.ErrLaneUnavailable)
			}
			return startSidecarIngress(ctx, t, spec, sc, app)
		}
		var sides []side
		upstream := app
		if mode == platform.ModeBoth || mode == platform.ModeServerOnly {
			addr, err := ports.Free()
			if err != nil {
				return err
			}
			sides = append(sides, side{Name: "server-proxy", Role: results.RoleServerProxy, Inbound: true, Listen: addr, Upstream: upstream})
			upstream = addr
		}
		if mode == platform.ModeBoth || mode == platform.ModeClientOnly {
			addr, err := ports.Free()
			if err != nil {
				return err
			}
			sides = append(sides, side{Name: "client-proxy", Role: results.RoleClientProxy, Listen: addr, Upstream: upstream})
			upstream = addr
		}
		if len(sides) == 0 {
			return fmt.Errorf("unknown mode %q (both, clientonly, serveronly)", spec.Mode)
		}
		if sc.setup != nil {
			f, err := sc.setup(ctx, t, spec, sides)
			if err != nil {
				return err
			}
			t.features = f
		}
		if err := startSides(ctx, t, spec, sc.start, sides); err != nil {
			return err
		}
		t.target = urlFor(upstream)
		return nil
	}
}

// startSides starts each side in order (the app's end first, so each
// proxy's readiness probe can go through those behind it) and records
// where each listens.
func startSides(ctx context.Context, t *topology, spec platform.Spec,
	start func(context.Context, *topology, platform.Spec, side) error, sides []side) error {
	for _, s := range sides {
		t.addrs[s.Name] = s.Listen
		if err := start(ctx, t, spec, s); err != nil {
			if ce := (*platform.ComponentError)(nil); errors.As(err, &ce) {
				return err // it names the component already
			}
			return fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	return nil
}
