package app

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/meshbench/meshbench/mesh-under-test/control"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
)

// DefaultTLSNames are the names meshcontrol's serving certificate carries
// besides the --listen host: what a proxy on the same host or in the
// cluster dials.
var DefaultTLSNames = []string{"meshcontrol", "localhost", "127.0.0.1"}

// grpcSecurity returns the gRPC server options of cfg.TLS: TLS with a
// certificate from the mesh CA (client certificates of the mesh verified
// when offered) and every non-CA call authenticated as a node. Without
// cfg.TLS: none (plaintext, unauthenticated ADS, as before).
func grpcSecurity(cfg Config, authority *ca.CA, auth ca.Authenticator, ctl *control.Controller) ([]grpc.ServerOption, error) {
	if !cfg.TLS {
		return nil, nil
	}
	if cfg.CADir == "" {
		return nil, errors.New("meshcontrol: --tls needs --ca-dir: proxies verify meshcontrol against its root-cert.pem (meshproxy --xds-ca)")
	}
	names := append([]string(nil), cfg.TLSNames...)
	if len(names) == 0 {
		names = append(names, DefaultTLSNames...)
	}
	if host, _, err := net.SplitHostPort(cfg.Listen); err == nil && host != "" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			names = append(names, host)
		}
	}
	serving, err := ca.NewServing(authority, names, cfg.CertTTL)
	if err != nil {
		return nil, fmt.Errorf("meshcontrol: --tls: %w", err)
	}
	tc := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: serving.GetCertificate,
		ClientAuth:     tls.VerifyClientCertIfGiven,
		ClientCAs:      authority.ClientCAs(),
		NextProtos:     []string{"h2"},
	}
	na := ca.NodeAuth{Auth: auth, IdentityOf: ctl.IdentityOf, Log: cfg.Logger, Ready: ctl.Ready}
	return []grpc.ServerOption{
		grpc.Creds(credentials.NewTLS(tc)),
		grpc.ChainUnaryInterceptor(na.UnaryInterceptor()),
		grpc.ChainStreamInterceptor(na.StreamInterceptor()),
	}, nil
}
