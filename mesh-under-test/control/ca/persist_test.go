package ca_test

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
)

// TestCertTTLIsACap: a request for more than MaxTTL gets MaxTTL, not the
// default; a request for less gets what it asked; none gets min(1h, max).
func TestCertTTLIsACap(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		max, ask time.Duration
		want     time.Duration
	}{
		{"longer than the cap", 2 * time.Hour, 48 * time.Hour, 2 * time.Hour},
		{"just over the cap", 2 * time.Hour, 2*time.Hour + time.Second, 2 * time.Hour},
		{"under the cap", 2 * time.Hour, 10 * time.Minute, 10 * time.Minute},
		{"none asked", 2 * time.Hour, 0, time.Hour},
		{"none asked, cap below 1h", 5 * time.Minute, 0, 5 * time.Minute},
		{"longer than a small cap", 5 * time.Minute, time.Hour, 5 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			authority, err := ca.New(ca.Options{MaxTTL: tc.max, Now: func() time.Time { return now }})
			require.NoError(t, err)
			_, notAfter, err := authority.Sign(newCSR(t, ""), identity, tc.ask)
			require.NoError(t, err)
			assert.Equal(t, now.Add(tc.want), notAfter)
		})
	}
}

// TestRootPersistedInDir: the first CA writes its root (0600), a second one
// on the same directory loads it and issues certificates that chain to it.
func TestRootPersistedInDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	first, err := ca.New(ca.Options{Dir: dir})
	require.NoError(t, err)
	for _, f := range []string{ca.RootCertFile, ca.RootKeyFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), f)
	}
	second, err := ca.New(ca.Options{Dir: dir})
	require.NoError(t, err)
	assert.Equal(t, first.RootPEM(), second.RootPEM(), "a restart keeps the trust root")

	certPEM, _, err := second.Sign(newCSR(t, ""), identity, time.Hour)
	require.NoError(t, err)
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(first.RootPEM()))
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	require.NoError(t, err, "signed by the persisted key")

	other, err := ca.New(ca.Options{})
	require.NoError(t, err)
	assert.NotEqual(t, first.RootPEM(), other.RootPEM(), "without a dir every CA is fresh")
}

// TestRootDirBadInput: a broken persisted root is an error naming the file,
// never silently replaced by a new root.
func TestRootDirBadInput(t *testing.T) {
	good := t.TempDir()
	_, err := ca.New(ca.Options{Dir: good})
	require.NoError(t, err)
	otherKey, err := os.ReadFile(filepath.Join(func() string {
		d := t.TempDir()
		_, err := ca.New(ca.Options{Dir: d})
		require.NoError(t, err)
		return d
	}(), ca.RootKeyFile))
	require.NoError(t, err)
	cases := []struct {
		name    string
		mutate  func(dir string)
		wantErr string
	}{
		{"key missing", func(d string) { require.NoError(t, os.Remove(filepath.Join(d, ca.RootKeyFile))) }, ca.RootKeyFile + " does not"},
		{"cert missing", func(d string) { require.NoError(t, os.Remove(filepath.Join(d, ca.RootCertFile))) }, ca.RootCertFile + " does not"},
		{"cert garbage", func(d string) {
			require.NoError(t, os.WriteFile(filepath.Join(d, ca.RootCertFile), []byte("x"), 0o600))
		}, ca.RootCertFile},
		{"key garbage", func(d string) { require.NoError(t, os.WriteFile(filepath.Join(d, ca.RootKeyFile), []byte("x"), 0o600)) }, ca.RootKeyFile},
		{"key of another root", func(d string) { require.NoError(t, os.WriteFile(filepath.Join(d, ca.RootKeyFile), otherKey, 0o600)) }, "does not match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{ca.RootCertFile, ca.RootKeyFile} {
				b, err := os.ReadFile(filepath.Join(good, f))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o600))
			}
			tc.mutate(dir)
			_, err := ca.New(ca.Options{Dir: dir})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}
