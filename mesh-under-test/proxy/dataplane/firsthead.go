package dataplane

import (
	"sync"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
)

// A plaintext HTTP connection's first request head is gathered in a small
// buffer before the connection gets serveConn's 8 KB reader and the HTTP/1.1
// forwarder's state (an 8 KB writer, request and response heads: 22 KB in
// all). A slow-loris client never finishes its head, so it never gets them:
// 500 such clients sending their first bytes at once allocated 4.5 MB (the
// reader, on the first byte) and then 11 MB (the forwarder, on the third),
// and with meshproxy's GOGC of 50 each burst cost the legitimate requests
// one or two garbage collections (a runtime trace of the slowloris
// scenario's opening). Now each holds what it sent, in a 512-byte buffer
// from a pool. Nothing is parsed or checked here: the whole head still goes
// through the HTTP/1.1 parser and the admission step once it is complete.
const (
	// firstHeadBuf is the pooled buffer's size: a mesh request's head
	// (method, path, Host, a dozen fields, trace context) fits.
	firstHeadBuf = 512
	// firstHeadBudget is the most a head is gathered to before the
	// connection gets its reader anyway: past it (or past the listener's
	// max_request_headers_kb, if lower) the parser reads on and refuses a
	// head that is too large at the byte it does today.
	firstHeadBudget = 4 << 10
)

var headBufPool = sync.Pool{New: func() any {
	b := make([]byte, firstHeadBuf)
	return &b
}}

// gatherHead reads a new connection's first bytes, on a listener whose
// plaintext chain serves HTTP, until they hold a complete request head (or
// the budget), and leaves them in tc.pre for serveConn to read. From the
// first byte the connection is reading a head: the listener's
// request_headers_timeout (else stream_idle_timeout) applies, as in
// serveH1. A TLS handshake, a tcp_proxy chain or a listener without a
// plaintext chain is left to serveConn at once. It returns the error of a
// read: io.EOF when the peer closed (tc.peerClosed set), or the deadline
// the sweeper set when the head timed out (then tc.pre keeps what came,
// and serveConn answers 408 as for any head).
func (p *Proxy) gatherHead(bl *boundListener, tc *trackedConn) error {
	chain := bl.cfg.Load().ChainFor(false)
	if chain == nil || chain.TLS != nil || chain.HTTP == nil || chain.TCP != nil {
		return nil
	}
	limit := firstHeadBudget
	if m := chain.HTTP.Limits.Head.MaxHeadBytes; m > 0 && m < limit {
		limit = m
	} else if m <= 0 && http1.DefaultMaxHeadBytes < limit {
		limit = http1.DefaultMaxHeadBytes
	}
	bp := headBufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	// What was read is served first by tc.Read, whatever happens next.
	defer func() {
		if len(buf) > 0 {
			tc.pre, tc.preBuf = buf, bp
		} else if bp != nil {
			headBufPool.Put(bp)
		}
	}()
	for {
		n, err := tc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return err
		}
		if len(buf) == n && n > 0 {
			if buf[0] == tlsHandshake {
				return nil // a ClientHello: the TLS chain, if any, reads it
			}
			tc.setLimits(&chain.HTTP.Limits)
			tc.setState(connHead)
		}
		if http1.HeadComplete(buf) || len(buf) >= limit {
			return nil
		}
		if len(buf) == cap(buf) {
			// A head longer than the pooled buffer, still coming: a
			// bigger one of its own, the pooled one back.
			nb := make([]byte, len(buf), min(2*cap(buf), limit))
			copy(nb, buf)
			if bp != nil {
				headBufPool.Put(bp)
			}
			buf, bp = nb, nil
		}
	}
}

// tlsHandshake is the first byte of a TLS connection (a handshake record).
const tlsHandshake = 0x16

// readPre serves what gatherHead read before the socket's own bytes, and
// returns the pooled buffer once it is all read.
func (c *trackedConn) readPre(b []byte) int {
	n := copy(b, c.pre)
	if c.pre = c.pre[n:]; len(c.pre) == 0 {
		c.dropPre()
	}
	return n
}

// dropPre forgets gathered bytes and returns their buffer to the pool.
func (c *trackedConn) dropPre() {
	c.pre = nil
	if c.preBuf != nil {
		headBufPool.Put(c.preBuf)
		c.preBuf = nil
	}
}
