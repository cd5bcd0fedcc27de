package caapi

import (
	"crypto/tls"
	"crypto/x509"
	"errors"

	"google.golang.org/grpc/credentials"
)

// ServerTLS is the transport a proxy dials meshcontrol --tls with: TLS 1.2
// or later, meshcontrol's certificate verified against rootPEM (the CA root,
// meshcontrol's --ca-dir root-cert.pem) for serverName, or, when
// serverName is empty, for the host of the address dialled (grpc takes it
// from the target). Used for ADS and the CA alike, with NodeCredentials
// per RPC on ADS.
func ServerTLS(rootPEM []byte, serverName string) (credentials.TransportCredentials, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rootPEM) {
		return nil, errors.New("no PEM certificate in the trust bundle")
	}
	return credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}), nil
}
