package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// nginxConfig is nginx doing a sidecar's job. master_process off makes it a
// single process, so its CPU is that of one measurable pid; upstream
// keep-alive needs HTTP/1.1 and an empty Connection header.
const nginxConfig = `daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    upstream app { server %[3]s; keepalive 128; }
    server {
        listen %[2]s;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`

// nginxSidecar runs Debian's nginx in each position.
var nginxSidecar = sidecar{
	setup: func(_ context.Context, _ *topology, spec platform.Spec, _ []side) (*results.MeshFeatures, error) {
		if _, err := lookBin("nginx"); err != nil {
			return nil, err
		}
		return &results.MeshFeatures{Proxy: "nginx", MTLS: spec.Case.MTLS, Workers: 1}, nil
	},
	start: func(ctx context.Context, t *topology, _ platform.Spec, s side) error {
		bin, err := lookBin("nginx")
		if err != nil {
			return err
		}
		dir, err := t.dir()
		if err != nil {
			return err
		}
		nd := filepath.Join(dir, s.Name+"-nginx")
		if err := os.MkdirAll(nd, 0o755); err != nil {
			return err
		}
		cfg := filepath.Join(nd, "nginx.conf")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf(nginxConfig, nd, s.Listen, s.Upstream)), 0o644); err != nil {
			return err
		}
		_, err = t.run(ctx, s.Name, s.Role, bin, []string{"-p", nd, "-c", cfg, "-e", filepath.Join(nd, "error.log")}, nil, urlFor(s.Listen))
		return err
	},
}

// lookBin finds a reference proxy in PATH or /usr/sbin, or reports the lane
// unavailable.
func lookBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := "/usr/sbin/" + name
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s is not installed (make reference-proxies installs it): %w", name, platform.ErrLaneUnavailable)
}
