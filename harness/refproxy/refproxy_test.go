package refproxy

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/httpsrv"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid/localca"
)

// certs writes a CA and one workload certificate (DNS SAN localhost) and
// returns the mTLS options of both sidecar positions.
func certs(t *testing.T) (client, server Options) {
	t.Helper()
	ca, err := localca.New(24 * time.Hour)
	require.NoError(t, err)
	c, k, err := ca.Issue("spiffe://cluster.local/ns/meshbench/sa/proxy", time.Hour)
	require.NoError(t, err)
	dir := t.TempDir()
	files := map[string][]byte{"ca.crt": ca.PEM, "w.crt": c, "w.key": k}
	for n, b := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), b, 0o600))
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	client, err = MTLSOptions(p("w.crt"), p("w.key"), p("ca.crt"), false)
	require.NoError(t, err)
	server, err = MTLSOptions(p("w.crt"), p("w.key"), p("ca.crt"), true)
	require.NoError(t, err)
	return client, server
}

// serve runs h (or a proxy) on a fresh 127.0.0.1 port until the test ends.
func serve(t *testing.T, run func(ctx context.Context, ln net.Listener) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = run(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// protoEcho answers with the protocol its request arrived in.
var protoEcho = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Proto) })

func h2cGet(t *testing.T, addr string) string {
	t.Helper()
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	c := &http.Client{Transport: &http.Transport{Protocols: &p}, Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "HTTP/2.0", resp.Proto, "the client spoke h2c to the proxy")
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// TestUpstreamProtocol: with HTTP2 the proxy carries h2 to its upstream, in
// clear text and over mTLS; without it, HTTP/1.1.
func TestUpstreamProtocol(t *testing.T) {
	clientTLS, serverTLS := certs(t)
	plainApp := serve(t, func(ctx context.Context, ln net.Listener) error { return httpsrv.Serve(ctx, ln, protoEcho) })
	tlsApp := serve(t, func(ctx context.Context, ln net.Listener) error {
		cfg := serverTLS.ServerTLS.Clone()
		cfg.NextProtos = []string{"h2", "http/1.1"}
		return httpsrv.Serve(ctx, tls.NewListener(ln, cfg), protoEcho)
	})
	tests := []struct {
		name     string
		upstream string
		opts     Options
		want     string
	}{
		{"http1 upstream", plainApp, Options{}, "HTTP/1.1"},
		{"h2c upstream", plainApp, Options{HTTP2: true}, "HTTP/2.0"},
		{"h2 over mTLS upstream", tlsApp, Options{ClientTLS: clientTLS.ClientTLS, HTTP2: true}, "HTTP/2.0"},
		{"http1 over mTLS upstream", tlsApp, Options{ClientTLS: clientTLS.ClientTLS}, "HTTP/1.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proxy := serve(t, func(ctx context.Context, ln net.Listener) error { return ServeWith(ctx, ln, tc.upstream, tc.opts) })
			assert.Equal(t, tc.want, h2cGet(t, proxy))
		})
	}
}

// TestSidecarPairCarriesH2 chains both positions as the httputil lane does
// in the h2 mTLS case: client-proxy -> (mTLS) -> server-proxy -> app.
func TestSidecarPairCarriesH2(t *testing.T) {
	clientTLS, serverTLS := certs(t)
	app := serve(t, func(ctx context.Context, ln net.Listener) error { return httpsrv.Serve(ctx, ln, protoEcho) })
	srv := serverTLS
	srv.HTTP2 = true
	serverProxy := serve(t, func(ctx context.Context, ln net.Listener) error { return ServeWith(ctx, ln, app, srv) })
	cli := clientTLS
	cli.HTTP2 = true
	clientProxy := serve(t, func(ctx context.Context, ln net.Listener) error { return ServeWith(ctx, ln, serverProxy, cli) })
	assert.Equal(t, "HTTP/2.0", h2cGet(t, clientProxy))
}
