package local

import (
	"context"
	"maps"

	"github.com/meshbench/meshbench/harness/platform"
)

// startSidecarIngress is a reference proxy's ingress form, the mesh lane's
// topology (ingressSides) with the reference proxy in every position:
// ingress: loadgen -> ingress-gateway -> server-proxy -> app;
// ingress+both: loadgen -> client-proxy -> ingress-gateway -> server-proxy -> app.
// The gateway terminates what the mesh's does: plaintext HTTP from the load
// client (or the client sidecar), every host and path routed to the one
// service (the mesh lane's gateway route table: hosts "*", one route); in
// the mTLS case it calls the server sidecar over mTLS with a certificate of
// its own identity. Its cost is the gateway component, as in the mesh lane.
func startSidecarIngress(ctx context.Context, t *topology, spec platform.Spec, sc sidecar, app string) error {
	sides, err := ingressSides(spec.Mode, app)
	if err != nil {
		return err
	}
	if sc.setup != nil {
		f, err := sc.setup(ctx, t, spec, sides)
		if err != nil {
			return err
		}
		if f != nil {
			f.Extra = maps.Clone(f.Extra)
			if f.Extra == nil {
				f.Extra = map[string]string{}
			}
			f.Extra["gateway"] = "ingress" // as the mesh lane records it
		}
		t.features = f
	}
	if err := startSides(ctx, t, spec, sc.start, sides); err != nil {
		return err
	}
	t.target = urlFor(sides[len(sides)-1].Listen)
	return nil
}
