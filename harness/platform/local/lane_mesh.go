package local

import (
	"context"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// meshSidecar runs the mesh under test: meshproxy in each position.
var meshSidecar = sidecar{
	setup: func(_ context.Context, _ *topology, spec platform.Spec, _ []side) (*results.MeshFeatures, error) {
		return &results.MeshFeatures{Proxy: "meshproxy", MTLS: spec.Case.MTLS, Telemetry: spec.Mesh.Telemetry, Workers: spec.Mesh.Workers}, nil
	},
	start: func(ctx context.Context, t *topology, spec platform.Spec, s side) error {
		admin, err := freePort()
		if err != nil {
			return err
		}
		dir := "--outbound"
		if s.Inbound {
			dir = "--inbound"
		}
		args := []string{"--id", s.Name, "--admin", admin, dir, s.Listen + "=" + s.Upstream}
		if spec.Case.MTLS {
			m, err := t.mtls()
			if err != nil {
				return err
			}
			c := m.For(s)
			args = append(args, "--tls-cert", c.Cert, "--tls-key", c.Key, "--tls-ca", m.CA)
		}
		args = append(args, spec.Mesh.ProxyArgs...)
		_, err = t.run(ctx, s.Name, s.Role, t.p.bins.Meshproxy, args, gomaxprocsEnv(spec.Mesh.Workers), "http://"+admin+"/ready")
		return err
	},
}
