package grpcwire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// Defaults, as grpc-go's client has them.
const (
	// DefaultDialTimeout bounds connecting: TCP, the TLS handshake and the
	// server's answer to a first HTTP/2 PING (grpc-go waits 20 s for the
	// server's preface).
	DefaultDialTimeout = 20 * time.Second
	// DefaultMaxMessageBytes is the largest message accepted (grpc-go's
	// default receive limit): a larger length prefix is an error before
	// anything is allocated for it.
	DefaultMaxMessageBytes = 4 << 20
)

// Options configure a Conn.
type Options struct {
	// Addr is the server's host:port.
	Addr string
	// TLS, when set, is the client's TLS configuration (ALPN h2 is added;
	// an empty ServerName becomes Addr's host). Nil: plaintext h2c.
	TLS *tls.Config
	// Header, when set, returns headers added to every call (per-RPC
	// credentials: the node and bearer token on ADS). It requires TLS, as
	// grpc-go's per-RPC credentials do, so a token never travels in
	// plaintext.
	Header func() (map[string]string, error)
	// DialTimeout bounds connecting (DefaultDialTimeout).
	DialTimeout time.Duration
	// MaxMessageBytes bounds a received message (DefaultMaxMessageBytes).
	MaxMessageBytes int
	// KeepaliveTime, when positive, pings a connection that received
	// nothing for that long and closes it (failing its streams) when the
	// ping is not answered within KeepaliveTimeout (default 20 s, as
	// grpc-go). Zero (the default, as grpc-go's client): no pings.
	KeepaliveTime, KeepaliveTimeout time.Duration
	// UserAgent is sent as user-agent.
	UserAgent string
}

// Conn is a client connection to one server: one HTTP/2 connection, made
// on first use and made again on the first call after it failed. Safe for
// concurrent use.
type Conn struct {
	o      Options
	t      *http2.Transport
	scheme string

	mu sync.Mutex
	cc *http2.ClientConn
}

// New checks opts and returns a Conn; nothing is dialled until a call.
func New(opts Options) (*Conn, error) {
	if opts.Addr == "" {
		return nil, errors.New("grpcwire: Addr is required")
	}
	if _, _, err := net.SplitHostPort(opts.Addr); err != nil {
		return nil, fmt.Errorf("grpcwire: address %q: %w", opts.Addr, err)
	}
	if opts.Header != nil && opts.TLS == nil {
		return nil, errors.New("grpcwire: per-call credentials require TLS")
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.KeepaliveTimeout <= 0 {
		opts.KeepaliveTimeout = 20 * time.Second
	}
	c := &Conn{o: opts, scheme: "http"}
	if opts.TLS != nil {
		c.scheme = "https"
	}
	c.t = &http2.Transport{
		AllowHTTP:          true,
		DisableCompression: true,
		ReadIdleTimeout:    opts.KeepaliveTime,
		PingTimeout:        opts.KeepaliveTimeout,
		MaxHeaderListSize:  1 << 20,
	}
	return c, nil
}

// Close closes the connection; calls after Close dial again.
func (c *Conn) Close() error {
	c.mu.Lock()
	cc := c.cc
	c.cc = nil
	c.mu.Unlock()
	if cc != nil {
		return cc.Close()
	}
	return nil
}

// conn returns a usable HTTP/2 connection, dialling one when there is none
// or the last one can take no more streams (it failed or got GOAWAY).
func (c *Conn) conn(ctx context.Context) (*http2.ClientConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cc != nil && c.cc.CanTakeNewRequest() {
		return c.cc, nil
	}
	if c.cc != nil {
		_ = c.cc.Close()
		c.cc = nil
	}
	cc, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.cc = cc
	return cc, nil
}

// dial connects and proves the peer speaks HTTP/2 with a PING, all within
// DialTimeout: a server that accepts and then says nothing is an error, not
// a hang.
func (c *Conn) dial(ctx context.Context) (*http2.ClientConn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.DialTimeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", c.o.Addr)
	if err != nil {
		return nil, fmt.Errorf("grpcwire: dial %s: %w", c.o.Addr, err)
	}
	nc := raw
	if c.o.TLS != nil {
		cfg := c.o.TLS.Clone()
		cfg.NextProtos = []string{"h2"}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(c.o.Addr)
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("grpcwire: TLS handshake with %s: %w", c.o.Addr, err)
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
			raw.Close()
			return nil, fmt.Errorf("grpcwire: %s did not negotiate HTTP/2 over TLS (ALPN %q)", c.o.Addr, p)
		}
		nc = tc
	}
	cc, err := c.t.NewClientConn(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("grpcwire: HTTP/2 with %s: %w", c.o.Addr, err)
	}
	if err := cc.Ping(ctx); err != nil {
		cc.Close()
		return nil, fmt.Errorf("grpcwire: %s did not answer an HTTP/2 ping within %v: %w", c.o.Addr, c.o.DialTimeout, err)
	}
	return cc, nil
}
