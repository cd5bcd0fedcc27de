package ca

import (
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServingCertificate: meshcontrol's serving certificate names every
// DNS name and IP it was given, chains to the root, is capped by MaxTTL and
// is re-issued once half its lifetime has passed.
func TestServingCertificate(t *testing.T) {
	now := time.Now()
	c, err := New(Options{MaxTTL: time.Hour, Now: func() time.Time { return now }})
	require.NoError(t, err)
	s, err := NewServing(c, []string{"meshcontrol", "127.0.0.1"}, 48*time.Hour)
	require.NoError(t, err)
	first, err := s.GetCertificate(nil)
	require.NoError(t, err)
	leaf := first.Leaf
	assert.Equal(t, []string{"meshcontrol"}, leaf.DNSNames)
	require.Len(t, leaf.IPAddresses, 1)
	assert.True(t, leaf.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")))
	assert.WithinDuration(t, now.Add(time.Hour), leaf.NotAfter, time.Second, "48h asked, the 1h cap given")
	for _, name := range []string{"meshcontrol", "127.0.0.1"} {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: c.ClientCAs(), DNSName: name, CurrentTime: now})
		assert.NoError(t, err, name)
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: c.ClientCAs(), DNSName: "other", CurrentTime: now})
	assert.Error(t, err, "a name it was not given")

	now = now.Add(29 * time.Minute)
	same, err := s.GetCertificate(nil)
	require.NoError(t, err)
	assert.Same(t, first, same, "before half its lifetime: the same certificate")
	now = now.Add(2 * time.Minute)
	next, err := s.GetCertificate(nil)
	require.NoError(t, err)
	assert.NotSame(t, first, next, "after half its lifetime: renewed")

	_, err = NewServing(c, nil, time.Hour)
	assert.Error(t, err)
}
