package rawconn

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid/localca"
)

func pair(t *testing.T) (net.Conn, net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	s := <-acc
	t.Cleanup(func() { _ = c.Close(); _ = s.Close() })
	return Wrap(c), s
}

func TestReadWriteEOFDeadline(t *testing.T) {
	c, s := pair(t)
	_, isFast := c.(*fastConn)
	require.True(t, isFast)
	big := bytes.Repeat([]byte("0123456789"), 200_000) // larger than socket buffers: partial writes
	go func() { _, _ = c.Write(big); _ = c.(*fastConn).CloseWrite() }()
	got, err := io.ReadAll(s)
	require.NoError(t, err)
	assert.Equal(t, big, got)

	go func() { _, _ = s.Write([]byte("pong")); _ = s.Close() }()
	buf := make([]byte, 10)
	n, err := io.ReadFull(c, buf[:4])
	require.NoError(t, err)
	assert.Equal(t, "pong", string(buf[:n]))
	_, err = c.Read(buf)
	assert.ErrorIs(t, err, io.EOF)

	c2, _ := pair(t)
	require.NoError(t, c2.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	_, err = c2.Read(buf)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, c2.Close())
	_, err = c2.Read(buf)
	assert.ErrorIs(t, err, net.ErrClosed)
}

func TestWrapLeavesOtherConnsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	assert.Equal(t, a, Wrap(a))
}

// tlsOver runs a TLS handshake between server (its certificate for the
// name "peer", from a new local CA) and client, over the two conns given.
func tlsOver(t *testing.T, server, client net.Conn) (sc, cc *tls.Conn) {
	t.Helper()
	ca, err := localca.New(time.Hour)
	require.NoError(t, err)
	certPEM, keyPEM, err := ca.IssueServer([]string{"peer"}, time.Hour)
	require.NoError(t, err)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	sc = tls.Server(server, &tls.Config{Certificates: []tls.Certificate{cert}})
	cc = tls.Client(client, &tls.Config{RootCAs: roots, ServerName: "peer"})
	errc := make(chan error, 1)
	go func() { errc <- sc.Handshake() }()
	require.NoError(t, cc.Handshake())
	require.NoError(t, <-errc)
	return sc, cc
}
