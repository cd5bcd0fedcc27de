package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/caapi"
	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/certrotate"
	"github.com/meshbench/meshbench/mesh-under-test/xds"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// xdsSource runs the ADS client against meshcontrol and, when a CA token
// is configured, keeps a workload certificate from meshcontrol's CA fresh
// (its SDS secrets are merged into every configuration).
type xdsSource struct {
	addr, node, protocol string
	tokenFile, token     string
	caFile               string        // trust bundle for meshcontrol's certificate: ADS and the CA over TLS
	serverName           string        // name meshcontrol's certificate must carry; "": the addr host
	certTTL              time.Duration // lifetime to ask the CA for; 0: its default
	log                  *slog.Logger
}

var _ xdsconfig.Source = (*xdsSource)(nil)

func (s *xdsSource) Run(ctx context.Context, a xdsconfig.Applier) error {
	opts := xds.Options{Addr: s.addr, NodeID: s.node, Logger: s.log, Protocol: s.protocol}
	if s.caFile != "" {
		pemBytes, err := os.ReadFile(s.caFile)
		if err != nil {
			return fmt.Errorf("--xds-ca: %w", err)
		}
		// The server name is --xds-server-name, else the --xds host:
		// meshcontrol's certificate must name it.
		if opts.TLS, err = caapi.ServerTLS(pemBytes, s.serverName); err != nil {
			return fmt.Errorf("--xds-ca %s: %w", s.caFile, err)
		}
		opts.Credentials = caapi.NodeCredentials{NodeID: s.node, Token: s.readToken}.Header
	}
	if s.token != "" || s.tokenFile != "" {
		conn, err := grpcwire.New(grpcwire.Options{Addr: s.addr, TLS: opts.TLS, UserAgent: "meshproxy"})
		if err != nil {
			return fmt.Errorf("ca: %w", err)
		}
		defer conn.Close()
		r := certrotate.New(certrotate.Options{Conn: conn, NodeID: s.node, Logger: s.log, TTL: s.certTTL, Token: s.readToken})
		if err := r.Start(ctx); err != nil {
			return err
		}
		opts.Certs = r
	}
	return xds.New(opts).Run(ctx, a)
}

// readToken returns the CA token, re-reading --xds-token-file each time
// (projected service-account tokens rotate).
func (s *xdsSource) readToken() (string, error) {
	if s.tokenFile == "" {
		return s.token, nil
	}
	b, err := os.ReadFile(s.tokenFile)
	if err != nil {
		return "", fmt.Errorf("--xds-token-file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
