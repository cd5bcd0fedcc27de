package tlsid

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
)

// ID is a parsed SPIFFE workload identity in Istio's form.
type ID struct {
	TrustDomain, Namespace, ServiceAccount string
}

func (id ID) String() string {
	return "spiffe://" + id.TrustDomain + "/ns/" + id.Namespace + "/sa/" + id.ServiceAccount
}

// ParseID parses spiffe://<td>/ns/<ns>/sa/<sa>.
func ParseID(s string) (ID, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "spiffe" || u.Host == "" {
		return ID{}, fmt.Errorf("tlsid: %q is not a SPIFFE ID", s)
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	if len(parts) != 4 || parts[0] != "ns" || parts[2] != "sa" || parts[1] == "" || parts[3] == "" {
		return ID{}, fmt.Errorf("tlsid: %q is not of the form spiffe://<td>/ns/<ns>/sa/<sa>", s)
	}
	return ID{TrustDomain: u.Host, Namespace: parts[1], ServiceAccount: parts[3]}, nil
}

// PeerID returns the first spiffe:// URI SAN of the peer's leaf certificate,
// or "" when the peer presented none.
func PeerID(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return ""
	}
	for _, u := range cs.PeerCertificates[0].URIs {
		if u.Scheme == "spiffe" {
			return u.String()
		}
	}
	return ""
}

// Bundle is one certificate with the roots that verify peers.
type Bundle struct {
	Cert  *tls.Certificate
	Roots *x509.CertPool
}

// Store holds the current Bundle. Safe for concurrent use.
type Store struct {
	cur atomic.Pointer[Bundle]
}

// Set installs a new bundle; handshakes after Set use it.
func (s *Store) Set(b *Bundle) { s.cur.Store(b) }

// Get returns the current bundle (nil before the first Set).
func (s *Store) Get() *Bundle { return s.cur.Load() }

// ErrNoCertificate is returned by handshakes before a certificate exists.
var ErrNoCertificate = errors.New("tlsid: no certificate yet")

// ServerConfig returns a config for terminating (m)TLS. requireClient
// demands and verifies a client certificate against the current roots;
// when sans is non-empty the client must also present one of those URI
// SANs (Envoy's match_typed_subject_alt_names on a DownstreamTlsContext).
func ServerConfig(s *Store, requireClient bool, sans []string) *tls.Config {
	base := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		b := s.Get()
		if b == nil || b.Cert == nil {
			return nil, ErrNoCertificate
		}
		c := base.Clone()
		c.GetConfigForClient = nil
		c.Certificates = []tls.Certificate{*b.Cert}
		if requireClient {
			c.ClientAuth = tls.RequireAndVerifyClientCert
			c.ClientCAs = b.Roots
		}
		if len(sans) > 0 {
			// The chain was verified against the same roots by the
			// handshake (or there is no client certificate): check the SAN.
			c.VerifyConnection = func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 {
					return errors.New("tlsid: client presented no certificate")
				}
				return matchSAN(&cs, sans)
			}
		}
		return c, nil
	}
	return base
}

// ClientConfig returns a config for originating mTLS. The peer chain is
// verified against the Store's current roots at handshake time (so trust
// bundles rotate too), and, when sans is non-empty, the peer must present
// one of those URI SANs (Envoy's match_subject_alt_names).
func ClientConfig(s *Store, serverName string, sans []string, nextProtos []string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: serverName,
		NextProtos: nextProtos,
		// Verification happens in VerifyConnection against the live roots.
		InsecureSkipVerify: true, //nolint:gosec // verified below
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			b := s.Get()
			if b == nil || b.Cert == nil {
				return nil, ErrNoCertificate
			}
			return b.Cert, nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyPeer(s.Get(), cs, sans)
		},
	}
}

func verifyPeer(b *Bundle, cs tls.ConnectionState, sans []string) error {
	if b == nil || b.Roots == nil {
		return errors.New("tlsid: no trust bundle to verify the peer")
	}
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tlsid: peer presented no certificate")
	}
	opts := x509.VerifyOptions{Roots: b.Roots, Intermediates: x509.NewCertPool(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
		return fmt.Errorf("tlsid: verify peer: %w", err)
	}
	if len(sans) == 0 {
		return nil
	}
	return matchSAN(&cs, sans)
}

// matchSAN requires the peer's URI SAN to be one of sans.
func matchSAN(cs *tls.ConnectionState, sans []string) error {
	id := PeerID(cs)
	for _, want := range sans {
		if id == want {
			return nil
		}
	}
	return fmt.Errorf("tlsid: peer identity %q not in %v", id, sans)
}

// ParseBundle builds a Bundle from PEM data.
func ParseBundle(certPEM, keyPEM, caPEM []byte) (*Bundle, error) {
	b := &Bundle{}
	if len(certPEM) > 0 {
		c, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("tlsid: key pair: %w", err)
		}
		b.Cert = &c
	}
	if len(caPEM) > 0 {
		b.Roots = x509.NewCertPool()
		if !b.Roots.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("tlsid: no certificates in CA PEM")
		}
	}
	return b, nil
}
