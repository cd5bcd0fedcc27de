package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCAFlagsWired: --cert-ttl caps what the CA issues and --ca-dir keeps
// the root across a restart of meshcontrol.
func TestCAFlagsWired(t *testing.T) {
	dir := t.TempDir()
	mesh := filepath.Join(dir, "mesh.yaml")
	require.NoError(t, os.WriteFile(mesh, []byte("services:\n  - {name: echo, endpoints: [{address: '127.0.0.1:7001'}]}\n"), 0o600))
	start := func() *Instance {
		inst, err := Start(context.Background(), Config{MeshFile: mesh, Listen: "127.0.0.1:0", Admin: "127.0.0.1:0",
			CertTTL: 2 * time.Hour, CADir: filepath.Join(dir, "ca"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		require.NoError(t, err)
		return inst
	}
	first := start()
	root := first.CA.RootPEM()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	require.NoError(t, err)
	_, notAfter, err := first.CA.Sign(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), "spiffe://cluster.local/ns/a/sa/b", 48*time.Hour)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(2*time.Hour), notAfter, time.Minute, "48h asked, the 2h cap given")
	require.NoError(t, first.Stop())

	second := start()
	defer second.Stop()
	assert.Equal(t, root, second.CA.RootPEM(), "the restarted control plane keeps the trust root")
}

// TestTLSNeedsCADir: --tls without --ca-dir is refused, naming both flags
// (proxies verify meshcontrol against the persisted root-cert.pem).
func TestTLSNeedsCADir(t *testing.T) {
	dir := t.TempDir()
	mesh := filepath.Join(dir, "mesh.yaml")
	require.NoError(t, os.WriteFile(mesh, []byte("services:\n  - {name: echo, endpoints: [{address: '127.0.0.1:7001'}]}\n"), 0o600))
	_, err := Start(context.Background(), Config{MeshFile: mesh, Listen: "127.0.0.1:0", Admin: "127.0.0.1:0", TLS: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--tls needs --ca-dir")
}
