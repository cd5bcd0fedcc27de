package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// keptConn is a plaintext HTTP/1.1 keep-alive connection straight to the
// server proxy's inbound listener (what a caller outside the mesh does).
type keptConn struct {
	c  net.Conn
	br *bufio.Reader
}

func dialKept(t *testing.T, addr string) *keptConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return &keptConn{c: c, br: bufio.NewReader(c)}
}

func (k *keptConn) send(path string) error {
	_, err := io.WriteString(k.c, "GET "+path+" HTTP/1.1\r\nHost: web\r\n\r\n")
	return err
}

func (k *keptConn) status() (int, error) {
	_ = k.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(k.br, nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// closedByProxy reports whether the proxy closes k within d.
func (k *keptConn) closedByProxy(d time.Duration) bool {
	_ = k.c.SetReadDeadline(time.Now().Add(d))
	_, err := k.br.ReadByte()
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestPermissiveToStrictDrainsPlaintext: meshcontrol switches the mesh
// from permissive to strict mTLS while plaintext callers hold connections
// to the server proxy: an idle keep-alive connection is closed, a request
// in flight gets its response and then its connection closes, an idle h2c
// connection cannot carry another request, a new plaintext connection is
// refused; mesh clients (mTLS) keep working throughout.
func TestPermissiveToStrictDrainsPlaintext(t *testing.T) {
	m := newMesh(t, meshconfig.MTLSPermissive, nil)
	await(t, m.outA, "GET", "/", http.StatusOK)
	s, err := raw(m.inbound, "GET", "/")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, s, "permissive: plaintext accepted")

	idle := dialKept(t, m.inbound)
	require.NoError(t, idle.send("/"))
	s, err = idle.status()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, s)
	require.False(t, idle.closedByProxy(100*time.Millisecond), "kept alive under permissive")

	h2 := &http.Client{Transport: &http2.Transport{AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}}
	resp, err := h2.Get("http://" + m.inbound + "/h2c")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "permissive: h2c accepted")

	busy := dialKept(t, m.inbound)
	require.NoError(t, busy.send("/slow"))
	time.Sleep(100 * time.Millisecond) // in flight at the proxy
	m.write(meshconfig.MTLSStrict, nil, 2)

	// In effect once a fresh plaintext connection is refused.
	require.Eventually(t, func() bool {
		_, err := raw(m.inbound, "GET", "/")
		return err != nil
	}, 20*time.Second, 50*time.Millisecond, "strict: a new plaintext connection is refused")
	assert.True(t, idle.closedByProxy(2*time.Second), "the idle plaintext keep-alive connection is closed")
	s, err = busy.status()
	require.NoError(t, err, "the request in flight at the switch is answered")
	assert.Equal(t, http.StatusOK, s)
	assert.True(t, busy.closedByProxy(2*time.Second), "and its connection is closed after the response")
	resp, err = h2.Get("http://" + m.inbound + "/h2c-after")
	if err == nil {
		resp.Body.Close()
		assert.NotEqual(t, http.StatusOK, resp.StatusCode, "no plaintext h2 request is served after the switch")
	}
	for _, p := range m.app.seen() {
		assert.NotEqual(t, "GET /h2c-after", p, "the app never sees a plaintext request after the switch")
	}
	await(t, m.outA, "GET", "/", http.StatusOK) // mTLS clients keep working
}
