package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

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
	certTTL              time.Duration // lifetime to ask the CA for; 0: its default
	log                  *slog.Logger
}

var _ xdsconfig.Source = (*xdsSource)(nil)

func (s *xdsSource) Run(ctx context.Context, a xdsconfig.Applier) error {
	opts := xds.Options{Addr: s.addr, NodeID: s.node, Logger: s.log, Protocol: s.protocol}
	if s.token != "" || s.tokenFile != "" {
		conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("ca: %w", err)
		}
		defer conn.Close()
		r := certrotate.New(certrotate.Options{Conn: conn, NodeID: s.node, Logger: s.log, TTL: s.certTTL, Token: func() (string, error) {
			if s.tokenFile == "" {
				return s.token, nil
			}
			b, err := os.ReadFile(s.tokenFile) // re-read: projected tokens rotate
			return strings.TrimSpace(string(b)), err
		}})
		if err := r.Start(ctx); err != nil {
			return err
		}
		opts.Certs = r
	}
	return xds.New(opts).Run(ctx, a)
}
