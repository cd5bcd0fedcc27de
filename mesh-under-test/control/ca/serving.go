package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Serving keeps the control plane's own TLS certificate (ADS and the CA
// over TLS): issued by the CA for DNS and IP names, renewed at half its
// lifetime so a long-running meshcontrol never serves an expired one.
// Safe for concurrent use; GetCertificate plugs into tls.Config.
type Serving struct {
	ca    *CA
	names []string
	ttl   time.Duration

	mu      sync.Mutex
	cert    *tls.Certificate
	renewAt time.Time
}

// NewServing issues the first serving certificate for names (host names
// or IP addresses), valid for ttl (capped by the CA's MaxTTL).
func NewServing(c *CA, names []string, ttl time.Duration) (*Serving, error) {
	if len(names) == 0 {
		return nil, errors.New("ca: serving certificate: no names")
	}
	s := &Serving{ca: c, names: names, ttl: min(ttl, c.maxTTL)}
	if s.ttl <= 0 {
		s.ttl = c.maxTTL
	}
	if _, err := s.current(); err != nil {
		return nil, err
	}
	return s, nil
}

// GetCertificate implements tls.Config.GetCertificate.
func (s *Serving) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.current() }

func (s *Serving) current() (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.ca.now()
	if s.cert != nil && now.Before(s.renewAt) {
		return s.cert, nil
	}
	cert, notAfter, err := s.issue(now)
	if err != nil {
		if s.cert != nil {
			return s.cert, nil // keep serving the old one until it expires
		}
		return nil, err
	}
	s.cert, s.renewAt = cert, now.Add(notAfter.Sub(now)/2)
	return cert, nil
}

func (s *Serving) issue(now time.Time) (*tls.Certificate, time.Time, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("ca: serving key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: s.names[0]},
		NotBefore:    now.Add(-30 * time.Second),
		NotAfter:     now.Add(s.ttl),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range s.names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.ca.root, key.Public(), s.ca.key)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("ca: serving certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("ca: serving certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, tmpl.NotAfter, nil
}

// ClientCAs is the pool proxies' workload certificates chain to (a proxy
// may authenticate on ADS with its certificate instead of its token).
func (c *CA) ClientCAs() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.root)
	return p
}
