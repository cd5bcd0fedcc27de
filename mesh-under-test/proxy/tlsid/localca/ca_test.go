package localca

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLaneCAMutualTLS: two certificates of one lane CA complete a mutual
// TLS handshake on 127.0.0.1, each side verifying the other against the
// CA and the name localhost, as the reference proxies do.
func TestLaneCAMutualTLS(t *testing.T) {
	ca, err := New(time.Hour)
	require.NoError(t, err)
	pair := func(sa string) tls.Certificate {
		c, k, err := ca.Issue("spiffe://cluster.local/ns/meshbench/sa/"+sa, time.Hour)
		require.NoError(t, err)
		cert, err := tls.X509KeyPair(c, k)
		require.NoError(t, err)
		return cert
	}
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(ca.PEM))

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair("server-proxy")},
		ClientCAs: roots, ClientAuth: tls.RequireAndVerifyClientCert})
	require.NoError(t, err)
	defer ln.Close()
	peer := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			peer <- err.Error()
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			peer <- err.Error()
			return
		}
		peer <- tc.ConnectionState().PeerCertificates[0].URIs[0].String()
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{Certificates: []tls.Certificate{pair("client-proxy")},
		RootCAs: roots, ServerName: "localhost"})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Handshake())
	assert.Equal(t, "spiffe://cluster.local/ns/meshbench/sa/client-proxy", <-peer)
}
