package ca

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Files of a persisted root in Options.Dir.
const (
	RootCertFile = "root-cert.pem"
	RootKeyFile  = "root-key.pem"
)

// loadOrCreate loads the root from opts.Dir, or creates one and writes it
// there. Exactly one of the two files present is an error (a half-written
// or half-deleted root must not be silently replaced: proxies trust the
// old one).
func loadOrCreate(opts Options) (*CA, error) {
	certPath, keyPath := filepath.Join(opts.Dir, RootCertFile), filepath.Join(opts.Dir, RootKeyFile)
	certPEM, certErr := os.ReadFile(certPath)
	keyPEM, keyErr := os.ReadFile(keyPath)
	switch {
	case certErr == nil && keyErr == nil:
		return load(opts, certPath, certPEM, keyPath, keyPEM)
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
	case certErr != nil && !errors.Is(certErr, fs.ErrNotExist):
		return nil, fmt.Errorf("ca: --ca-dir: %w", certErr)
	case keyErr != nil && !errors.Is(keyErr, fs.ErrNotExist):
		return nil, fmt.Errorf("ca: --ca-dir: %w", keyErr)
	case certErr != nil:
		return nil, fmt.Errorf("ca: --ca-dir: %s exists but %s does not", keyPath, certPath)
	default:
		return nil, fmt.Errorf("ca: --ca-dir: %s exists but %s does not", certPath, keyPath)
	}
	c, err := create(opts)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		return nil, fmt.Errorf("ca: marshal root key: %w", err)
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("ca: --ca-dir: %w", err)
	}
	// The key first: a crash between the writes leaves a key without a
	// certificate, refused above, never a certificate whose key is lost.
	if err := writeFile0600(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})); err != nil {
		return nil, err
	}
	if err := writeFile0600(certPath, c.rootPEM); err != nil {
		return nil, err
	}
	return c, nil
}

// writeFile0600 writes through a temporary file and a rename, so a reader
// never sees a partial PEM.
func writeFile0600(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("ca: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("ca: write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("ca: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("ca: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("ca: write %s: %w", path, err)
	}
	return nil
}

func load(opts Options, certPath string, certPEM []byte, keyPath string, keyPEM []byte) (*CA, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("ca: %s: no PEM CERTIFICATE", certPath)
	}
	root, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ca: %s: %w", certPath, err)
	}
	if !root.IsCA {
		return nil, fmt.Errorf("ca: %s: not a CA certificate", certPath)
	}
	if now := opts.Now(); now.After(root.NotAfter) {
		return nil, fmt.Errorf("ca: %s: root expired at %s", certPath, root.NotAfter)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || kb.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("ca: %s: no PEM PRIVATE KEY (PKCS#8)", keyPath)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ca: %s: %w", keyPath, err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("ca: %s: %T is not a signing key", keyPath, k)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := key.Public().(equaler); !ok || !pub.Equal(root.PublicKey) {
		return nil, fmt.Errorf("ca: %s does not match the certificate %s", keyPath, certPath)
	}
	return &CA{root: root, key: key, rootPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cb.Bytes}),
		maxTTL: opts.MaxTTL, now: opts.Now}, nil
}
