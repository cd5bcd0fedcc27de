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
// client side).
type Options struct {
	ServerTLS, ClientTLS *tls.Config
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
		ln = tls.NewListener(ln, o.ServerTLS)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     o.ClientTLS,
	}
	return httpsrv.Serve(ctx, ln, rp)
}
