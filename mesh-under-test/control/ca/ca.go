package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"time"
)

// CA signs workload certificates with one root. Safe for concurrent use.
type CA struct {
	root    *x509.Certificate
	key     crypto.Signer
	rootPEM []byte
	maxTTL  time.Duration
	now     func() time.Time
}

// Options configure a CA.
type Options struct {
	// TrustDomain names the root ("cluster.local" by default).
	TrustDomain string
	// MaxTTL caps requested lifetimes (default 24h): a request for more
	// gets MaxTTL; a request naming none gets min(1h, MaxTTL).
	MaxTTL time.Duration
	// Dir, when set, persists the root: its key and certificate are loaded
	// from Dir if present, else created and written there (0600), so a
	// restarted control plane keeps the trust root proxies hold.
	Dir string
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// New creates a CA: with Options.Dir, the root persisted there (see
// persist.go); otherwise a fresh self-signed ECDSA P-256 root valid for a
// year.
func New(opts Options) (*CA, error) {
	if opts.TrustDomain == "" {
		opts.TrustDomain = "cluster.local"
	}
	if opts.MaxTTL == 0 {
		opts.MaxTTL = 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Dir != "" {
		return loadOrCreate(opts)
	}
	return create(opts)
}

func create(opts Options) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca: generate root key: %w", err)
	}
	now := opts.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{opts.TrustDomain}, CommonName: "meshcontrol root CA"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		URIs:                  []*url.URL{{Scheme: "spiffe", Host: opts.TrustDomain}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("ca: self-sign root: %w", err)
	}
	root, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: parse root: %w", err)
	}
	return &CA{root: root, key: key, rootPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), maxTTL: opts.MaxTTL, now: opts.Now}, nil
}

// RootPEM is the trust bundle proxies validate peers with.
func (c *CA) RootPEM() []byte { return c.rootPEM }

// ErrBadCSR marks a CSR that is malformed, badly signed or asks for
// another identity.
var ErrBadCSR = errors.New("bad certificate signing request")

// Sign issues a certificate for identity (a spiffe:// URI) over the CSR's
// public key, valid for ttl (capped by MaxTTL). A CSR naming URI SANs must
// name exactly identity.
func (c *CA) Sign(csrPEM []byte, identity string, ttl time.Duration) ([]byte, time.Time, error) {
	block, _ := pem.Decode(csrPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, time.Time{}, fmt.Errorf("%w: no PEM CERTIFICATE REQUEST", ErrBadCSR)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %w", ErrBadCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: signature: %w", ErrBadCSR, err)
	}
	id, err := url.Parse(identity)
	if err != nil || id.Scheme != "spiffe" {
		return nil, time.Time{}, fmt.Errorf("%w: identity %q is not a spiffe URI", ErrBadCSR, identity)
	}
	for _, u := range csr.URIs {
		if u.String() != identity {
			return nil, time.Time{}, fmt.Errorf("%w: asks for %s, caller is %s", ErrBadCSR, u, identity)
		}
	}
	switch {
	case ttl <= 0:
		ttl = min(time.Hour, c.maxTTL)
	case ttl > c.maxTTL:
		ttl = c.maxTTL // a cap, not a fallback to the default
	}
	now := c.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{},
		NotBefore:    now.Add(-30 * time.Second), // tolerate small clock skew
		NotAfter:     now.Add(ttl),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		URIs:         []*url.URL{id},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.root, csr.PublicKey, c.key)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("ca: sign: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), tmpl.NotAfter, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic("ca: crypto/rand failed: " + err.Error()) // the OS is broken
	}
	return n
}
