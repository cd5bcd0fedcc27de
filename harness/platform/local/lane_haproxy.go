package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// haproxyConfig is HAProxy doing a sidecar's job: one thread, HTTP mode,
// keep-alive both ways, idle upstream connections shared (http-reuse always).
const haproxyConfig = `global
    nbthread 1
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
    http-reuse always
frontend sidecar
    bind %s
    default_backend upstream
backend upstream
    server app %s
`

// haproxySidecar runs Debian's haproxy (single process, -db keeps it in the
// foreground) in each position.
var haproxySidecar = sidecar{
	setup: func(_ context.Context, _ *topology, spec platform.Spec, _ []side) (*results.MeshFeatures, error) {
		if _, err := lookBin("haproxy"); err != nil {
			return nil, err
		}
		return &results.MeshFeatures{Proxy: "haproxy", MTLS: spec.Case.MTLS, Workers: 1}, nil
	},
	start: func(ctx context.Context, t *topology, _ platform.Spec, s side) error {
		bin, err := lookBin("haproxy")
		if err != nil {
			return err
		}
		dir, err := t.dir()
		if err != nil {
			return err
		}
		cfg := filepath.Join(dir, s.Name+"-haproxy.cfg")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf(haproxyConfig, s.Listen, s.Upstream)), 0o644); err != nil {
			return err
		}
		_, err = t.run(ctx, s.Name, s.Role, bin, []string{"-db", "-f", cfg}, nil, urlFor(s.Listen))
		return err
	},
}
