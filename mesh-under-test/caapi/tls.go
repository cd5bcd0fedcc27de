package caapi

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// ServerTLS is the TLS configuration a proxy dials meshcontrol --tls with:
// TLS 1.2 or later, meshcontrol's certificate verified against rootPEM (the
// CA root, meshcontrol's --ca-dir root-cert.pem) for serverName, or, when
// serverName is empty, for the host of the address dialled. Used for ADS
// and the CA alike, with NodeCredentials on ADS. (A grpc-go client wraps
// it in credentials.NewTLS.)
func ServerTLS(rootPEM []byte, serverName string) (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rootPEM) {
		return nil, errors.New("no PEM certificate in the trust bundle")
	}
	return &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}, nil
}
