package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"time"
)

// identity is Linkerd's trust anchor and identity issuer, as Linkerd's docs
// make them with step: ECDSA P-256, the root a CA, the issuer an
// intermediate CA (path length 0) signed by it. Valid one year: regenerate
// the manifest (`make peer-manifests` with -force) before then.
type identity struct {
	anchorPEM, issuerPEM, issuerKeyPEM string
}

func newIdentity() (identity, error) {
	now := time.Now().Add(-time.Hour) // clock skew between host and nodes
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return identity{}, err
	}
	root := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "root.linkerd.cluster.local"},
		NotBefore: now, NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true, IsCA: true, MaxPathLen: 1,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		return identity{}, err
	}
	issKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return identity{}, err
	}
	iss := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "identity.linkerd.cluster.local"},
		NotBefore: now, NotAfter: now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true, IsCA: true, MaxPathLen: 0, MaxPathLenZero: true,
	}
	parent, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return identity{}, err
	}
	issDER, err := x509.CreateCertificate(rand.Reader, iss, parent, &issKey.PublicKey, rootKey)
	if err != nil {
		return identity{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(issKey)
	if err != nil {
		return identity{}, err
	}
	enc := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	return identity{anchorPEM: enc("CERTIFICATE", rootDER), issuerPEM: enc("CERTIFICATE", issDER), issuerKeyPEM: enc("EC PRIVATE KEY", keyDER)}, nil
}
