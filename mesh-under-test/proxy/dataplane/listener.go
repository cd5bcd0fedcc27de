package dataplane

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/tlsid"
)

type boundListener struct {
	ln          net.Listener
	cfg         atomic.Pointer[config.Listener]
	connsActive prometheus.Gauge
	connsTotal  prometheus.Counter
	// h2Lean and h2XNet count h2 connections by the path that serves them.
	h2Lean, h2XNet prometheus.Counter
}

func (p *Proxy) newBoundListener(ln net.Listener, l *config.Listener) *boundListener {
	bl := &boundListener{ln: ln, connsActive: p.metrics.ConnsActive.WithLabelValues(l.Name),
		connsTotal: p.metrics.ConnsTotal.WithLabelValues(l.Name),
		h2Lean:     p.metrics.H2Conns.WithLabelValues(l.Name, "lean"), h2XNet: p.metrics.H2Conns.WithLabelValues(l.Name, "xnet")}
	bl.cfg.Store(l)
	return bl
}

// trackedConn lets Shutdown wake connections idle between requests and
// the sweeper enforce idle and head timeouts (limits.go).
type trackedConn struct {
	net.Conn
	connTimers
	bl *boundListener
	// plain is set once the connection is served without TLS: Apply
	// drains it when its listener stops accepting plaintext.
	plain atomic.Bool
	// peerClosed is set when a read saw the peer's end of stream: such a
	// connection is closed by the reaper (accept.go), not inline.
	peerClosed atomic.Bool
	// pre holds the bytes gatherHead read before serveConn (firsthead.go),
	// in preBuf when that came from the pool.
	pre    []byte
	preBuf *[]byte
}

// Read serves gathered bytes first and records the peer's end of stream
// (two comparisons per read).
func (c *trackedConn) Read(b []byte) (int, error) {
	if len(c.pre) > 0 {
		return c.readPre(b), nil
	}
	n, err := c.Conn.Read(b)
	if err == io.EOF {
		c.peerClosed.Store(true)
	}
	return n, err
}

// plaintextRefused reports whether c is a plaintext connection its
// listener no longer accepts (permissive -> strict).
func (c *trackedConn) plaintextRefused() bool {
	return c.plain.Load() && !c.bl.cfg.Load().AcceptsPlaintext()
}

func (c *trackedConn) wakeIfIdle() {
	if !c.busy() {
		_ = c.Conn.SetReadDeadline(time.Now())
	}
}

// prefixConn reads through a bufio.Reader that may already hold peeked
// bytes.
type prefixConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *prefixConn) Read(b []byte) (int, error) { return c.r.Read(b) }

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 8<<10) }}

func putReader(br *bufio.Reader) {
	br.Reset(nil)
	readerPool.Put(br)
}

func ptr[T any](v T) *T { return &v }

const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// serveConn classifies the connection (TLS or not, h2 or HTTP/1.x or TCP)
// and serves it to the end.
func (p *Proxy) serveConn(bl *boundListener, tc *trackedConn) {
	// Readers go back to the pool only when no other goroutine can still
	// read through them: the HTTP/2 server reads in its own goroutine that
	// may outlive ServeConn, so h2 connections keep theirs.
	var pooled []*bufio.Reader
	h2 := false
	defer func() {
		if !h2 {
			for _, r := range pooled {
				putReader(r)
			}
		}
	}()
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(tc)
	pooled = append(pooled, br)
	lc := bl.cfg.Load()
	first, err := br.Peek(1)
	if err != nil {
		return
	}
	isTLS := first[0] == 0x16 // TLS handshake record
	chain := lc.ChainFor(isTLS)
	if chain == nil {
		p.log.Debug("no filter chain for connection", "listener", lc.Name, "tls", isTLS)
		return
	}
	if chain.TLS == nil {
		tc.plain.Store(true)
	}
	if chain.TCP != nil && chain.TLS == nil {
		p.serveTCP(tc, tc, br, chain)
		return
	}
	var conn net.Conn = tc
	peer, alpn := "", ""
	if chain.TLS != nil {
		if !isTLS {
			return
		}
		cfg := chain.TLS
		if lc.SNI != nil {
			cfg = lc.SNI // the chain is chosen by the ClientHello's server name
		}
		tlsConn := tls.Server(&prefixConn{Conn: tc, r: br}, cfg)
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tlsConn.Handshake(); err != nil {
			p.log.Debug("tls handshake failed", "listener", lc.Name, "remote", tc.RemoteAddr().String(), "err", err)
			return
		}
		_ = tc.SetDeadline(time.Time{})
		cs := tlsConn.ConnectionState()
		peer, alpn = tlsid.PeerID(&cs), cs.NegotiatedProtocol
		if lc.SNI != nil {
			if chain = lc.ChainForSNI(cs.ServerName); chain == nil {
				return
			}
		}
		conn = tlsConn
		br = readerPool.Get().(*bufio.Reader)
		br.Reset(tlsConn)
		pooled = append(pooled, br)
		if chain.TCP != nil {
			p.serveTCP(tc, conn, br, chain)
			return
		}
	}
	if alpn == "h2" || (alpn == "" && isH2Preface(br)) {
		if !p.opts.H2XNet && h2FastEligible(chain) {
			bl.h2Lean.Inc()
			p.serveH2Fast(bl, chain, tc, conn, br, peer) // only this goroutine reads br
			return
		}
		h2 = true
		bl.h2XNet.Inc()
		p.serveH2(bl, chain, tc, conn, br, peer)
		return
	}
	p.serveH1(bl, chain, tc, conn, br, peer)
}

func isH2Preface(br *bufio.Reader) bool {
	b, err := br.Peek(3)
	if err != nil || string(b) != "PRI" {
		return false
	}
	b, err = br.Peek(len(h2Preface))
	return err == nil && string(b) == h2Preface
}
