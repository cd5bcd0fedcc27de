package upstream

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"

	"golang.org/x/net/http2"
)

// h2Transport carries h2c/h2 and gRPC upstream requests. http2.Transport
// multiplexes streams over one connection per address and pools them.
type h2Transport struct {
	t *http2.Transport
}

func newH2Transport(c *Cluster) *h2Transport {
	t := &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, _, addr string, _ *tls.Config) (net.Conn, error) {
			return c.dialRaw(ctx, addr, []string{"h2"})
		},
	}
	return &h2Transport{t: t}
}

func (h *h2Transport) close() { h.t.CloseIdleConnections() }

// RoundTripH2 sends req (whose URL host is the chosen endpoint) over HTTP/2.
func (c *Cluster) RoundTripH2(req *http.Request) (*http.Response, error) {
	return c.h2.t.RoundTrip(req)
}
