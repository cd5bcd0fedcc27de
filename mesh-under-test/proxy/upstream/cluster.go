package upstream

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/health"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/lb"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/rawconn"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// Errors the data path maps to responses.
var (
	ErrNoHost   = errors.New("upstream: no endpoint")
	ErrOverflow = errors.New("upstream: circuit breaker overflow")
	ErrConnect  = errors.New("upstream: connect failure")
)

// Protocol is the upstream HTTP protocol of a cluster (Envoy's
// HttpProtocolOptions.upstream_protocol_options).
type Protocol uint8

// Protocols. The zero value is Envoy's default: HTTP/1.1 upstream.
const (
	ProtoHTTP1      Protocol = iota // explicit_http_config.http_protocol_options, or nothing
	ProtoHTTP2                      // explicit_http_config.http2_protocol_options
	ProtoDownstream                 // use_downstream_protocol_config (and auto_config)
)

// Config is a compiled cluster.
type Config struct {
	Name           string
	Protocol       Protocol
	Policy         lb.Policy
	ConnectTimeout time.Duration
	Thresholds     resilience.Thresholds
	Outlier        *health.OutlierConfig
	// TLS originates (m)TLS to endpoints when non-nil.
	TLS *tls.Config
}

// Cluster is the data path's view of one upstream cluster.
type Cluster struct {
	Config
	Endpoints []*Endpoint
	Picker    *lb.Picker
	Breakers  *resilience.Breakers
	Outlier   *health.Outlier
	freed     chan struct{}
	h2        *h2Transport

	fastMu sync.Mutex
	fast   io.Closer
}

// New builds a cluster over the given endpoints.
func New(cfg Config, eps []*Endpoint) *Cluster {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	hosts := make([]*lb.Host, len(eps))
	for i, e := range eps {
		hosts[i] = e.Host
	}
	c := &Cluster{Config: cfg, Endpoints: eps, Picker: lb.NewPicker(cfg.Policy, hosts),
		Breakers: resilience.NewBreakers(cfg.Thresholds), freed: make(chan struct{}, 1)}
	if cfg.Outlier != nil {
		c.Outlier = health.NewOutlier(*cfg.Outlier, hosts)
	}
	c.h2 = newH2Transport(c)
	return c
}

// Hosts returns the cluster's endpoint states.
func (c *Cluster) Hosts() []*lb.Host { return c.Picker.Hosts() }

// Pick chooses an endpoint, or nil when the cluster has none.
func (c *Cluster) Pick(now time.Time) *Endpoint {
	i := c.Picker.Pick(now.UnixNano())
	if i < 0 {
		return nil
	}
	return c.Endpoints[i]
}

// Get returns a connection to e: an idle pooled one (reused=true) or a new
// one. When max_connections is reached the request waits, as a pending
// request, for a connection to be freed until deadline (zero: one connect
// timeout).
func (c *Cluster) Get(e *Endpoint, now, deadline time.Time) (conn *Conn, reused bool, err error) {
	return c.get(e, now, deadline, false)
}

// Take is Get for a caller that writes its whole request to BW and then
// calls Send: a pooled connection's probe is made by Send, fused with the
// write. A request that streams its body (BW may flush before the end) uses
// Get.
func (c *Cluster) Take(e *Endpoint, now, deadline time.Time) (conn *Conn, reused bool, err error) {
	return c.get(e, now, deadline, true)
}

func (c *Cluster) get(e *Endpoint, now, deadline time.Time, lazy bool) (conn *Conn, reused bool, err error) {
	if conn = e.getIdle(now, lazy); conn != nil {
		return conn, true, nil
	}
	if c.Breakers.AcquireConn() {
		conn, err = c.dial(e)
		return conn, false, err
	}
	if !c.Breakers.AcquirePending() {
		return nil, false, ErrOverflow
	}
	defer c.Breakers.ReleasePending()
	if deadline.IsZero() {
		deadline = now.Add(c.ConnectTimeout)
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		select {
		case <-c.freed:
		case <-t.C:
			return nil, false, ErrOverflow
		}
		if conn = e.getIdle(time.Now(), lazy); conn != nil {
			return conn, true, nil
		}
		if c.Breakers.AcquireConn() {
			conn, err = c.dial(e)
			return conn, false, err
		}
	}
}

func (c *Cluster) signalFreed() {
	select {
	case c.freed <- struct{}{}:
	default:
	}
}

// Put returns a healthy, fully-read connection to its pool. A connection
// with unread bytes buffered (the upstream sent more than the response it
// was asked for) is closed instead: reused, those bytes would be read as the
// next request's response, and every later client would get the one before
// its own (a desync that lasts as long as the connection).
func (c *Cluster) Put(conn *Conn, now time.Time) {
	if conn.BR.Buffered() > 0 || !conn.ep.putIdle(conn, now) {
		conn.close()
	}
	c.signalFreed()
}

// Discard closes a connection whose state is unknown (error, partial read).
func (c *Cluster) Discard(conn *Conn) {
	conn.close()
	c.signalFreed()
}

func (c *Cluster) dial(e *Endpoint) (*Conn, error) {
	raw, err := c.dialRaw(e.dialCtx, e.Host.Addr, []string{"http/1.1"})
	if err != nil {
		c.Breakers.ReleaseConn()
		if e.dialCtx.Err() != nil {
			return nil, fmt.Errorf("%w: %s", ErrEndpointRemoved, e.Host.Addr)
		}
		return nil, err
	}
	conn := &Conn{Conn: raw, BR: bufio.NewReaderSize(raw, readBufSize), BW: bufio.NewWriterSize(raw, writeBufSize),
		ep: e, breakers: c.Breakers}
	conn.sendFn = conn.BW.Flush
	if !e.track(conn) {
		_ = raw.Close()
		c.Breakers.ReleaseConn()
		return nil, fmt.Errorf("%w: %s", ErrEndpointRemoved, e.Host.Addr)
	}
	return conn, nil
}

// dialRaw connects to addr, handshaking TLS when configured.
func (c *Cluster) dialRaw(ctx context.Context, addr string, alpn []string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.ConnectTimeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConnect, addr, err)
	}
	raw = rawconn.Wrap(raw)
	if c.TLS == nil {
		return raw, nil
	}
	cfg := c.TLS.Clone()
	cfg.NextProtos = alpn
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("%w: %s: tls: %w", ErrConnect, addr, err)
	}
	return tc, nil
}

// DialTCP opens a raw (or TLS) stream to e for TCP proxying.
func (c *Cluster) DialTCP(ctx context.Context, e *Endpoint) (net.Conn, error) {
	return c.dialRaw(ctx, e.Host.Addr, nil)
}

// Close releases the cluster's idle HTTP/2 connections (HTTP/1.1 pools
// belong to endpoints, which the Registry closes).
func (c *Cluster) Close() {
	c.h2.close()
	c.fastMu.Lock()
	if c.fast != nil {
		_ = c.fast.Close()
	}
	c.fastMu.Unlock()
}

// DialH2 opens a connection to addr for HTTP/2 (TLS with ALPN h2 when the
// cluster originates TLS), within the cluster's connect timeout.
func (c *Cluster) DialH2(ctx context.Context, addr string) (net.Conn, error) {
	return c.dialRaw(ctx, addr, []string{"h2"})
}

// FastPool returns the cluster's pool of the data plane's own HTTP/2
// connections (the lean h2 path), made by mk on first use; Close closes
// it with the cluster. The pool's type belongs to the data plane: this
// package only ties its life to the cluster's.
func (c *Cluster) FastPool(mk func() io.Closer) io.Closer {
	c.fastMu.Lock()
	defer c.fastMu.Unlock()
	if c.fast == nil {
		c.fast = mk()
	}
	return c.fast
}

// PickRetry chooses the endpoint of a retry. Under policy's AvoidTried
// (Envoy's previous_hosts predicate) a pick that is one of tried is made
// again, up to HostSelectionAttempts more times, so the balancer's choice
// among the other hosts stands; if every re-pick was a tried host (with
// random or least-request balancing over few hosts Envoy's re-picks can
// all land there: 1 in 64 with two hosts and Istio's 5) the first
// available host not tried is taken, so a retry avoids the host that just
// failed whenever another may take requests. With none, the last pick
// stands (a cluster of one host is retried on it). Without it, Pick.
func (c *Cluster) PickRetry(now time.Time, p *resilience.RetryPolicy, tried []*Endpoint) *Endpoint {
	e := c.Pick(now)
	if p == nil || !p.AvoidTried || e == nil || !slices.Contains(tried, e) {
		return e
	}
	extra := p.HostSelectionAttempts
	if extra <= 0 {
		extra = 1
	}
	for range extra {
		if e = c.Pick(now); !slices.Contains(tried, e) {
			return e
		}
	}
	n := len(c.Endpoints)
	start := rand.IntN(n)
	for i := range n {
		x := c.Endpoints[(start+i)%n]
		if x.Host.Available(now.UnixNano()) && !slices.Contains(tried, x) {
			return x
		}
	}
	return e
}
