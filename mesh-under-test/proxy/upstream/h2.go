package upstream

import (
	"context"
	"net"
	"net/http"
	"sync"

	"golang.org/x/net/http2"
)

// h2Transport carries h2c/h2 and gRPC upstream requests. http2.Transport
// multiplexes streams over one connection per address; the pool is ours
// (h2Pool) so that a replaced cluster can close every connection once its
// last stream ends.
type h2Transport struct {
	t    *http2.Transport
	pool *h2Pool
}

func newH2Transport(c *Cluster) *h2Transport {
	t := &http2.Transport{AllowHTTP: true}
	p := &h2Pool{t: t, dial: func(ctx context.Context, addr string) (net.Conn, error) {
		return c.dialRaw(ctx, addr, []string{"h2"})
	}, conns: map[string][]*http2.ClientConn{}, dialing: map[string]*h2Dial{}}
	t.ConnPool = p // the pool dials: x/net's DialTLSContext is used only by its own pool
	return &h2Transport{t: t, pool: p}
}

// close is the cluster's end (a new configuration replaced it): every
// connection is shut down, at once when idle, else when its last stream
// ends (x/net's own pool only closes the idle ones; a busy one stayed open
// after its streams until the upstream closed it).
func (h *h2Transport) close() { h.pool.shutdown() }

// RoundTripH2 sends req (whose URL host is the chosen endpoint) over HTTP/2.
func (c *Cluster) RoundTripH2(req *http.Request) (*http.Response, error) {
	return c.h2.t.RoundTrip(req)
}

// h2Pool is the transport's http2.ClientConnPool: x/net's, with every
// connection known, so that shutdown can reach the busy ones. One dial per
// address at a time (concurrent misses wait for it), as x/net's pool.
type h2Pool struct {
	t       *http2.Transport
	dial    func(ctx context.Context, addr string) (net.Conn, error)
	mu      sync.Mutex
	conns   map[string][]*http2.ClientConn
	dialing map[string]*h2Dial
	closed  bool
}

type h2Dial struct {
	done chan struct{}
	cc   *http2.ClientConn
	err  error
}

// errPoolClosed answers a request to a cluster already replaced; x/net's
// RoundTrip does not retry it.
var errPoolClosed = net.ErrClosed

// GetClientConn implements http2.ClientConnPool: a connection with room for
// one more stream (reserved), else a new one.
func (p *h2Pool) GetClientConn(req *http.Request, addr string) (*http2.ClientConn, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, errPoolClosed
		}
		for _, cc := range p.conns[addr] {
			if cc.ReserveNewRequest() {
				p.mu.Unlock()
				return cc, nil
			}
		}
		d, ok := p.dialing[addr]
		if !ok {
			d = &h2Dial{done: make(chan struct{})}
			p.dialing[addr] = d
			go p.dialOne(req.Context(), addr, d)
		}
		p.mu.Unlock()
		select {
		case <-d.done:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
		if d.err != nil {
			return nil, d.err
		}
		if d.cc.ReserveNewRequest() {
			return d.cc, nil
		}
	}
}

// dialOne makes addr's new connection; it outlives the request that asked
// for it (others may wait on it), so only its values, not its cancellation,
// are kept.
func (p *h2Pool) dialOne(ctx context.Context, addr string, d *h2Dial) {
	defer close(d.done)
	conn, err := p.dial(context.WithoutCancel(ctx), addr)
	if err == nil {
		d.cc, err = p.t.NewClientConn(conn)
		if err != nil {
			_ = conn.Close()
		}
	}
	d.err = err
	p.mu.Lock()
	delete(p.dialing, addr)
	if err == nil {
		if p.closed {
			p.mu.Unlock()
			_ = d.cc.Close()
			d.err = errPoolClosed
			return
		}
		p.conns[addr] = append(p.conns[addr], d.cc)
	}
	p.mu.Unlock()
}

// MarkDead implements http2.ClientConnPool: x/net calls it when a
// connection can carry no more (GOAWAY, an error, closed).
func (p *h2Pool) MarkDead(cc *http2.ClientConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for addr, ccs := range p.conns {
		for i, c := range ccs {
			if c == cc {
				ccs = append(ccs[:i], ccs[i+1:]...)
				if len(ccs) == 0 {
					delete(p.conns, addr)
				} else {
					p.conns[addr] = ccs
				}
				return
			}
		}
	}
}

// shutdown refuses new requests and shuts every connection down:
// ClientConn.Shutdown sends GOAWAY, waits for the running streams and
// closes (at once for an idle one). A stream may be long (gRPC), so each
// waits on a goroutine of its own.
func (p *h2Pool) shutdown() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = map[string][]*http2.ClientConn{}
	p.mu.Unlock()
	for _, ccs := range conns {
		for _, cc := range ccs {
			go func() { _ = cc.Shutdown(context.Background()) }()
		}
	}
}
