package refproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"

	"github.com/meshbench/meshbench/harness/httpsrv"
)

// Serve proxies every request on ln to upstream (host:port) until ctx ends.
func Serve(ctx context.Context, ln net.Listener, upstream string) error {
	return ServeWith(ctx, ln, upstream, Options{})
}

// Options add the mTLS case: ServerTLS terminates mTLS on ln (the
// server-side position), ClientTLS originates it to the upstream (the
// client side). HTTP2 speaks HTTP/2 to the upstream (h2c, or h2 over TLS),
// the h2 case: without it the proxy would accept h2 and carry HTTP/1.1
// between the sidecars, a different data path from the mesh's.
type Options struct {
	ServerTLS, ClientTLS *tls.Config
	HTTP2                bool
}

// MTLSOptions builds Options from PEM files with the stock crypto/tls
// settings a Go service would use; inbound selects the server side.
func MTLSOptions(certFile, keyFile, caFile string, inbound bool) (Options, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return Options{}, fmt.Errorf("refproxy tls: %w", err)
	}
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return Options{}, fmt.Errorf("refproxy tls: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return Options{}, fmt.Errorf("refproxy tls: no certificates in %s", caFile)
	}
	if inbound {
		return Options{ServerTLS: &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: roots,
			ClientAuth: tls.RequireAndVerifyClientCert}}, nil
	}
	return Options{ClientTLS: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots, ServerName: "localhost"}}, nil
}

// ServeWith is Serve with options.
func ServeWith(ctx context.Context, ln net.Listener, upstream string, o Options) error {
	target := &url.URL{Scheme: "http", Host: upstream}
	if o.ClientTLS != nil {
		target.Scheme = "https"
	}
	if o.ServerTLS != nil {
		srv := o.ServerTLS.Clone()
		srv.NextProtos = []string{"h2", "http/1.1"} // the server offers h2 over TLS by ALPN
		ln = tls.NewListener(ln, srv)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	tr := &http.Transport{
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		// A copy: an HTTP/2 transport adds "h2" to its config's ALPN list.
		TLSClientConfig: o.ClientTLS.Clone(),
	}
	if o.HTTP2 {
		var p http.Protocols
		if o.ClientTLS != nil {
			p.SetHTTP2(true)
		} else {
			p.SetUnencryptedHTTP2(true) // prior knowledge, as the load client's h2c
		}
		tr.Protocols = &p
	}
	rp.Transport = tr
	return httpsrv.Serve(ctx, ln, rp)
}
