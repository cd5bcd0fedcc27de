package dataplane

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/rawconn"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid/localca"
)

// recordReader parses the TLS record headers of the bytes read through it
// and keeps the lengths of the application-data records (outer type 23:
// in TLS 1.3 every encrypted record).
type recordReader struct {
	net.Conn
	mu      sync.Mutex
	hdr     []byte
	skip    int
	lengths []int
}

func (r *recordReader) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	r.mu.Lock()
	defer r.mu.Unlock()
	for p := b[:n]; len(p) > 0; {
		if r.skip > 0 {
			k := min(r.skip, len(p))
			r.skip, p = r.skip-k, p[k:]
			continue
		}
		k := min(5-len(r.hdr), len(p))
		r.hdr, p = append(r.hdr, p[:k]...), p[k:]
		if len(r.hdr) == 5 {
			r.skip = int(r.hdr[3])<<8 | int(r.hdr[4])
			if r.hdr[0] == 23 {
				r.lengths = append(r.lengths, r.skip)
			}
			r.hdr = r.hdr[:0]
		}
	}
	return n, err
}

func (r *recordReader) take() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.lengths
	r.lengths = nil
	return l
}

// TestTunnelSendsEachMessageAsOneTLSRecord pins the mTLS relay's framing
// (docs/proxy.md, "TCP with mTLS"): the plaintext -> mTLS direction of a
// tcp_proxy tunnel (the client-side sidecar) sends each 1 KB message as one
// TLS record (1024 bytes + TLS 1.3's content type and AEAD tag), so one
// write per message: crypto/tls writes one record per Write, and dynamic
// record sizing's first records (about 1.2 KB) still hold a whole message.
// A 64 KB message leaves in records no larger than the relay's buffer.
func TestTunnelSendsEachMessageAsOneTLSRecord(t *testing.T) {
	ca, err := localca.New(time.Hour)
	require.NoError(t, err)
	certPEM, keyPEM, err := ca.IssueServer([]string{"localhost"}, time.Hour)
	require.NoError(t, err)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(ca.PEM))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	ready := make(chan *recordReader, 1)
	go func() { // the server-side sidecar's place: TLS in, echo
		c, err := ln.Accept()
		if err != nil {
			return
		}
		r := &recordReader{Conn: c}
		s := tls.Server(r, &tls.Config{Certificates: []tls.Certificate{pair}})
		if s.Handshake() != nil {
			return
		}
		r.take() // the client's Finished
		ready <- r
		_, _ = io.Copy(s, s)
		_ = s.CloseWrite()
	}()

	raw, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	up := tls.Client(rawconn.Wrap(raw), &tls.Config{RootCAs: roots, ServerName: "localhost"})
	require.NoError(t, up.Handshake())
	require.Equal(t, uint16(tls.VersionTLS13), up.ConnectionState().Version)
	var r *recordReader
	select {
	case r = <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("server handshake")
	}

	client, down := tcpPair(t)
	done := make(chan struct{})
	go func() { tunnelIdle(down, bufio.NewReader(down), up, nil, nil); close(done) }()
	require.NoError(t, client.SetDeadline(time.Now().Add(10*time.Second)))

	const n = 20
	msg := bytes.Repeat([]byte("m"), 1024)
	buf := make([]byte, len(msg))
	for range n {
		_, err := client.Write(msg)
		require.NoError(t, err)
		_, err = io.ReadFull(client, buf)
		require.NoError(t, err)
		require.Equal(t, msg, buf)
	}
	want := make([]int, n)
	for i := range want {
		want[i] = 1024 + 1 + 16 // content type, AEAD tag
	}
	assert.Equal(t, want, r.take(), "one record per 1 KB message")

	big := bytes.Repeat([]byte("b"), 64<<10)
	_, err = client.Write(big)
	require.NoError(t, err)
	got := make([]byte, len(big))
	_, err = io.ReadFull(client, got)
	require.NoError(t, err)
	require.Equal(t, big, got)
	total := 0
	for _, l := range r.take() {
		assert.LessOrEqual(t, l, relayBufSize+1+16, "a record holds at most one relay read")
		total += l - 17
	}
	assert.Equal(t, len(big), total)

	require.NoError(t, client.(*net.TCPConn).CloseWrite()) // the half-close crosses the TLS hop and back
	_, err = client.Read(buf)
	assert.ErrorIs(t, err, io.EOF)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("tunnel did not end after both half-closes")
	}
}
