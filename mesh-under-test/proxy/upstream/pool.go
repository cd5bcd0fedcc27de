package upstream

import (
	"bufio"
	"net"
	"sync"
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
}

// Endpoint is one upstream address: its balancing state and idle pool.
type Endpoint struct {
	Host *lb.Host

	mu     sync.Mutex
	idle   []*Conn
	closed bool
}

func newEndpoint(addr string) *Endpoint { return &Endpoint{Host: lb.NewHost(addr)} }

// getIdle pops the most recently used idle connection (LIFO keeps the
// working set of connections small and warm).
func (e *Endpoint) getIdle(now time.Time) *Conn {
	e.mu.Lock()
	for n := len(e.idle); n > 0; n = len(e.idle) {
		c := e.idle[n-1]
		e.idle[n-1] = nil
		e.idle = e.idle[:n-1]
		e.mu.Unlock()
		// An upstream that sent bytes while the connection sat idle (an
		// extra response) or closed it: either would hand the next request
		// someone else's response or lose it, so close and try the next.
		if now.Sub(c.idleSince) < idleTimeout && reusable(rawconn.CheckIdle(c.Conn)) {
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
	if e.closed || len(e.idle) >= maxIdle {
		e.mu.Unlock()
		return false
	}
	c.idleSince = now
	e.idle = append(e.idle, c)
	e.mu.Unlock()
	return true
}

// CloseIdle closes idle connections and refuses new ones (endpoint removed).
func (e *Endpoint) CloseIdle() {
	e.mu.Lock()
	idle := e.idle
	e.idle, e.closed = nil, true
	e.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

func (c *Conn) close() {
	_ = c.Conn.Close()
	c.breakers.ReleaseConn()
}
