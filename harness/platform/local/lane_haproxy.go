package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// haproxyConfig is HAProxy doing a sidecar's (or the ingress gateway's)
// job: one thread, keep-alive both ways, idle upstream connections shared
// (http-reuse always). The defaults section depends on the protocol
// (haproxyMode). The gateway's frontend takes every host and path to the
// one backend: the mesh lane's gateway route table (hosts "*", one route).
const haproxyConfig = `global
    nbthread 1
    maxconn 4096
%sdefaults
%s%s    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend %s
    bind %s%s
    default_backend upstream
backend upstream
    server app %s%s
`

// haproxyHopLog is the logging of Platform.hopLog: one line per request on
// stdout (the process's captured output) naming the hop, and on a TLS
// listener the peer certificate's common name (the SPIFFE path).
const haproxyHopLog = "    log stdout format raw local0 info\n"

const haproxyHopLogFormat = "    log global\n" +
	`    log-format "hop listen=%fi:%fp upstream=%si:%sp status=%ST uri=%HU tls=%[ssl_fc] peer=%[ssl_c_s_dn(cn)]"` + "\n"

// haproxyMode returns the defaults lines and the bind and server suffixes
// of a case's protocol: HTTP mode for http1; HTTP/2 end to end for h2 and
// gRPC (the mesh carries h2 between its sidecars; without proto h2 upstream
// HAProxy would accept h2 and forward HTTP/1.1); TCP mode for tcp.
func haproxyMode(protocol string) (defaults, bind, server string) {
	switch protocol {
	case results.ProtocolTCP:
		return "    mode tcp\n", "", ""
	case results.ProtocolGRPC:
		return "    mode http\n    option http-keep-alive\n    http-reuse always\n", " proto h2", " proto h2"
	case results.ProtocolH2:
		// The bind detects the h2c preface itself and still answers the
		// HTTP/1.1 readiness probe.
		return "    mode http\n    option http-keep-alive\n    http-reuse always\n", "", " proto h2"
	default:
		return "    mode http\n    option http-keep-alive\n    http-reuse always\n", "", ""
	}
}

// haproxyTLS returns the bind and server suffixes of the mTLS case: the
// server side terminates mTLS, the positions calling it originate it
// (verifying the peer against the CA and its DNS name, reusing sessions).
func haproxyTLS(t *topology, s side, c results.Case) (bind, server string, err error) {
	if !c.MTLS || !(s.Inbound || originatesMTLS(c, s)) {
		return "", "", nil
	}
	m, err := t.mtls()
	if err != nil {
		return "", "", err
	}
	p := m.For(s)
	if s.Inbound {
		return fmt.Sprintf(" ssl crt %s ca-file %s verify required", p.Combined, m.CA), "", nil
	}
	return "", fmt.Sprintf(" ssl crt %s ca-file %s verify required verifyhost localhost sni str(localhost)", p.Combined, m.CA), nil
}

// haproxySidecar runs Debian's haproxy (single process, -db keeps it in the
// foreground) in each position.
var haproxySidecar = sidecar{
	ingress: true,
	setup: func(_ context.Context, _ *topology, spec platform.Spec, _ []side) (*results.MeshFeatures, error) {
		if _, err := lookBin("haproxy"); err != nil {
			return nil, err
		}
		return &results.MeshFeatures{Proxy: "haproxy", MTLS: spec.Case.MTLS, Workers: 1}, nil
	},
	start: func(ctx context.Context, t *topology, spec platform.Spec, s side) error {
		bin, err := lookBin("haproxy")
		if err != nil {
			return err
		}
		dir, err := t.dir()
		if err != nil {
			return err
		}
		cfg := filepath.Join(dir, s.Name+"-haproxy.cfg")
		bindTLS, serverTLS, err := haproxyTLS(t, s, spec.Case)
		if err != nil {
			return err
		}
		defaults, bindProto, serverProto := haproxyMode(spec.Case.Protocol)
		if spec.Case.MTLS && (spec.Case.Protocol == results.ProtocolGRPC || spec.Case.Protocol == results.ProtocolH2) {
			// Over TLS, HTTP/2 is negotiated by ALPN on both ends of the hop.
			if serverTLS != "" {
				serverProto = " alpn h2"
			}
			if bindTLS != "" {
				bindProto = " alpn h2"
				if spec.Case.Protocol == results.ProtocolH2 {
					bindProto = " alpn h2,http/1.1"
				}
			}
		}
		var logGlobal, logDefaults string
		if t.p.hopLog && spec.Case.Protocol != results.ProtocolTCP {
			logGlobal, logDefaults = haproxyHopLog, haproxyHopLogFormat
		}
		frontend := "sidecar"
		if s.Role == results.RoleGateway {
			frontend = "gateway"
		}
		text := fmt.Sprintf(haproxyConfig, logGlobal, logDefaults, defaults, frontend, s.Listen, bindTLS+bindProto, s.Upstream, serverTLS+serverProto)
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			return err
		}
		_, err = t.run(ctx, s.Name, s.Role, bin, []string{"-db", "-f", cfg}, nil, readyURLFor(spec.Case, s))
		return err
	},
}
