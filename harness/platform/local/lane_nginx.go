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

// nginxConfig is nginx doing a sidecar's (or the ingress gateway's) job.
// master_process off makes it a single process, so its CPU is that of one
// measurable pid; upstream keep-alive needs HTTP/1.1 and an empty
// Connection header. The one server block takes every host and path to the
// upstream: the mesh lane's gateway route table (hosts "*", one route).
const nginxConfig = `daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 8192; }
http {
%[7]s
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    upstream app { server %[3]s; keepalive 128; }
    server {
        listen %[2]s%[4]s;
        location / {
            proxy_pass %[5]s://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
%[6]s        }
    }
}
`

// nginxHopLog is the logging of Platform.hopLog: one line per request in
// access.log under the proxy's directory naming the hop, and on a TLS
// listener the peer certificate's subject (CN: the SPIFFE path).
const nginxHopLog = `    log_format hop 'hop listen=$server_addr:$server_port upstream=$upstream_addr status=$status uri=$request_uri tls=$https peer=$ssl_client_s_dn';
    access_log %s/access.log hop;`

// nginxTLS returns the listen suffix (with the server-side directives), the
// upstream scheme and the proxy_ssl directives of the mTLS case.
func nginxTLS(t *topology, s side, c results.Case) (listen, scheme, proxySSL string, err error) {
	if !c.MTLS || !(s.Inbound || originatesMTLS(c, s)) {
		return "", "http", "", nil
	}
	m, err := t.mtls()
	if err != nil {
		return "", "", "", err
	}
	p := m.For(s)
	if s.Inbound {
		return fmt.Sprintf(" ssl;\n        ssl_certificate %s;\n        ssl_certificate_key %s;\n"+
			"        ssl_client_certificate %s;\n        ssl_verify_client on", p.Cert, p.Key, m.CA), "http", "", nil
	}
	return "", "https", fmt.Sprintf("            proxy_ssl_certificate %s;\n            proxy_ssl_certificate_key %s;\n"+
		"            proxy_ssl_trusted_certificate %s;\n            proxy_ssl_verify on;\n            proxy_ssl_name localhost;\n"+
		"            proxy_ssl_session_reuse on;\n", p.Cert, p.Key, m.CA), nil
}

// nginxSidecar runs Debian's nginx in each position.
var nginxSidecar = sidecar{
	ingress: true,
	setup: func(_ context.Context, _ *topology, spec platform.Spec, _ []side) (*results.MeshFeatures, error) {
		if _, err := lookBin("nginx"); err != nil {
			return nil, err
		}
		return &results.MeshFeatures{Proxy: "nginx", MTLS: spec.Case.MTLS, Workers: 1}, nil
	},
	start: func(ctx context.Context, t *topology, spec platform.Spec, s side) error {
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
		listenTLS, scheme, proxySSL, err := nginxTLS(t, s, spec.Case)
		if err != nil {
			return err
		}
		accessLog := "    access_log off;"
		if t.p.hopLog {
			accessLog = fmt.Sprintf(nginxHopLog, nd)
		}
		conf := fmt.Sprintf(nginxConfig, nd, s.Listen, s.Upstream, listenTLS, scheme, proxySSL, accessLog)
		if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
			return err
		}
		_, err = t.run(ctx, s.Name, s.Role, bin, []string{"-p", nd, "-c", cfg, "-e", filepath.Join(nd, "error.log")}, nil, readyURLFor(spec.Case, s))
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
