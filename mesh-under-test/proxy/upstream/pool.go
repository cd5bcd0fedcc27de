package upstream

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/lb"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/rawconn"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// Buffer sizes of pooled upstream connections: the reader holds a whole
// typical response so its body is relayed without a second read.
const (
	readBufSize  = 16 << 10
	writeBufSize = 8 << 10
	// idleTimeout closes pooled connections unused this long, before a
	// typical upstream keep-alive timeout closes them under us.
	idleTimeout = 50 * time.Second
	maxIdle     = 256
)

// Conn is a pooled HTTP/1.1 upstream connection.
type Conn struct {
	net.Conn
	BR *bufio.Reader
	BW *bufio.Writer

	ep        *Endpoint
	breakers  *resilience.Breakers
	idleSince time.Time
	// probe: taken from the pool by Take, not yet probed (Send probes it).
	probe bool
	// sendFn is the flush Send hands to rawconn.ProbeSend, bound once.
	sendFn func() error
	// removed is set when the endpoint left the configuration while this
	// connection was open: the error its user then sees is the removal's.
	removed atomic.Bool
}

// ErrEndpointRemoved: the endpoint left the configuration (EDS) while a
// request was being sent to it, or before its connection was made.
var ErrEndpointRemoved = errors.New("upstream: endpoint removed")

// ErrStale is Send's error for a pooled connection the upstream wrote to or
// closed while it was idle: nothing was sent; close it and take another.
var ErrStale = errors.New("upstream: pooled connection unusable (unsolicited bytes or closed while idle)")

// Send sends what was written to BW. On a connection Take returned from the
// pool it first probes it (see getIdle), in the same poller registration as
// the write, and then waits until the answer is readable
// (rawconn.ProbeSend): one system call less per request than a separate
// probe. ErrStale: the probe failed and nothing was sent.
func (c *Conn) Send() error {
	if !c.probe {
		return c.BW.Flush()
	}
	c.probe = false
	state, err := rawconn.ProbeSend(c.Conn, c.sendFn)
	if !reusable(state) {
		return ErrStale
	}
	return err
}

// Endpoint is one upstream address: its balancing state and idle pool.
type Endpoint struct {
	Host *lb.Host

	mu     sync.Mutex
	idle   []*Conn
	conns  map[*Conn]struct{} // every open connection, idle or in use
	closed bool
	// draining: the endpoint is DRAINING (SetDraining): its connections
	// are not pooled, so each closes after the response it carries.
	draining bool
	// dialCtx is cancelled when the endpoint is removed, so a connect in
	// progress to an address that is gone ends then, not at its timeout.
	dialCtx    context.Context
	cancelDial context.CancelFunc
}

func newEndpoint(addr string) *Endpoint {
	ctx, cancel := context.WithCancel(context.Background())
	return &Endpoint{Host: lb.NewHost(addr), conns: map[*Conn]struct{}{}, dialCtx: ctx, cancelDial: cancel}
}

// track records a new connection; false when the endpoint was removed
// meanwhile (the caller closes the connection).
func (e *Endpoint) track(c *Conn) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.conns[c] = struct{}{}
	return true
}

// getIdle pops the most recently used idle connection (LIFO keeps the
// working set of connections small and warm). With lazy, the probe for bytes
// or a close that arrived while it was idle is left to Send.
func (e *Endpoint) getIdle(now time.Time, lazy bool) *Conn {
	e.mu.Lock()
	for n := len(e.idle); n > 0; n = len(e.idle) {
		c := e.idle[n-1]
		e.idle[n-1] = nil
		e.idle = e.idle[:n-1]
		e.mu.Unlock()
		// An upstream that sent bytes while the connection sat idle (an
		// extra response) or closed it: either would hand the next request
		// someone else's response or lose it, so close and try the next.
		if now.Sub(c.idleSince) < idleTimeout && (lazy || reusable(rawconn.CheckIdle(c.Conn))) {
			c.probe = lazy
			return c
		}
		c.close()
		e.mu.Lock()
	}
	e.mu.Unlock()
	return nil
}

func reusable(s rawconn.IdleState) bool { return s == rawconn.Quiet || s == rawconn.Unknown }

func (e *Endpoint) putIdle(c *Conn, now time.Time) bool {
	e.mu.Lock()
	if e.closed || e.draining || len(e.idle) >= maxIdle {
		e.mu.Unlock()
		return false
	}
	c.idleSince = now
	e.idle = append(e.idle, c)
	e.mu.Unlock()
	return true
}

// SetDraining records the control plane's DRAINING status (EDS
// health_status, a terminating pod that still serves), as Envoy does for a
// host it excludes from balancing: the picker sends it no new requests
// (lb.Host.Available), requests in flight on its connections complete, and
// its connections are not reused: the idle ones close now, the busy ones
// when their response is done (Cluster.Put closes them). Unlike Remove,
// nothing in flight fails. A connection made while it drains (panic
// routing, when every endpoint drains) serves one request. SetDraining(false)
// returns it to service.
func (e *Endpoint) SetDraining(on bool) {
	e.Host.SetDraining(on)
	e.mu.Lock()
	e.draining = on
	var idle []*Conn
	if on {
		idle, e.idle = e.idle, nil
	}
	e.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

// Draining reports whether the endpoint is DRAINING.
func (e *Endpoint) Draining() bool { return e.Host.Draining() }

// Remove is called when the endpoint left the configuration: it refuses
// new connections, cancels connects in progress, closes the idle ones and
// closes the sockets of those in use, so that a request waiting on one
// fails at once (its user sees Removed) instead of waiting for an answer
// that may never come: a Kubernetes pod deleted with its network namespace
// sends neither FIN nor RST, and without this a request written to it
// waits out the route timeout (Envoy's default 15 s). Envoy drains instead
// on removal (lets requests in flight finish); see docs/proxy.md for why we
// do not: graceful termination reaches us as DRAINING (SetDraining) first.
// Connections in use are released by their users (Discard).
func (e *Endpoint) Remove() {
	e.mu.Lock()
	idle := e.idle
	e.idle, e.closed = nil, true
	busy := make([]*Conn, 0, len(e.conns))
	for c := range e.conns {
		busy = append(busy, c)
	}
	e.mu.Unlock()
	e.cancelDial()
	for _, c := range idle {
		c.removed.Store(true)
		c.close()
	}
	for _, c := range busy {
		if !c.removed.Swap(true) { // not one of the idle ones just closed
			_ = c.Conn.Close()
		}
	}
}

// Removed reports whether the connection's endpoint was removed while it
// was open (so its errors are the removal's, not the upstream's).
func (c *Conn) Removed() bool { return c.removed.Load() }

func (c *Conn) close() {
	_ = c.Conn.Close()
	c.ep.mu.Lock()
	delete(c.ep.conns, c)
	c.ep.mu.Unlock()
	c.breakers.ReleaseConn()
}
