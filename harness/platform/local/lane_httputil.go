package local

import (
	"context"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// httputilSidecar puts Go's stock net/http/httputil.ReverseProxy (with a
// pooled transport, run by `meshbench refproxy`) in each position: the floor
// a Go proxy must beat.
var httputilSidecar = sidecar{
	setup: func(_ context.Context, _ *topology, spec platform.Spec, _ []side) (*results.MeshFeatures, error) {
		return &results.MeshFeatures{Proxy: "httputil", MTLS: spec.Case.MTLS, Workers: spec.Mesh.Workers}, nil
	},
	start: func(ctx context.Context, t *topology, spec platform.Spec, s side) error {
		args := []string{"refproxy", "--listen", s.Listen, "--upstream", s.Upstream}
		if spec.Case.MTLS {
			m, err := t.mtls()
			if err != nil {
				return err
			}
			c := m.For(s)
			args = append(args, "--tls-cert", c.Cert, "--tls-key", c.Key, "--tls-ca", m.CA)
			if s.Inbound {
				args = append(args, "--inbound")
			}
		}
		if spec.Case.Protocol == results.ProtocolH2 {
			args = append(args, "--h2")
		}
		_, err := t.run(ctx, s.Name, s.Role, t.p.bins.Meshbench, args, gomaxprocsEnv(spec.Mesh.Workers), readyURLFor(spec.Case, s))
		return err
	},
}
