package dataplane

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

// maxBufferedBody is the largest request body held in memory so the
// request can be retried and sent with its head in one write; larger or
// chunked bodies stream and are not retried.
const maxBufferedBody = 64 << 10

// h1conn is the per-connection state of the HTTP/1.1 forwarder, pooled so
// that its buffers keep their grown size across connections.
type h1conn struct {
	p    *Proxy
	bl   *boundListener
	tc   *trackedConn
	c    net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	req  *http1.Request
	resp *http1.Response
	// body is the buffered request body: a view of br's buffer when the
	// whole body was already there (valid until br is read again, which
	// only the next request does), or bodyBuf.
	body    []byte
	bodyBuf []byte
	scr     []byte
	path    []byte // a normalised request path
	hdrs    h1Headers
	trace   telemetry.Trace
	dyn     [4]http1.Dyn
	// dynPad is dyn's three trace headers plus the injected upstream
	// headers (inject.Config.UpstreamHeaders), built once per connection.
	dynPad []http1.Dyn
	attrs  match.Attrs
	held   heldState // h1held.go
	// hold is the request's claim on its cluster's retry budget
	// (forward): kept here, not on forward's stack, where taking its
	// address for the deferred Release moved it to the heap, one
	// allocation per request.
	hold resilience.RetryHold
	// bodyDone: the request body has been read from the client (buffered
	// or streamed), so a local reply must not try to skip it again.
	bodyDone bool

	listener  *config.Listener
	chain     *config.Chain
	peer      string
	source    string
	seriesFor *upstream.Cluster
	series    *telemetry.Series
}

var h1Pool = sync.Pool{New: func() any {
	h := &h1conn{bw: bufio.NewWriterSize(nil, 8<<10), req: http1.NewRequest(), resp: http1.NewResponse()}
	h.held.step = h.heldStep // bound once: no closure per registration
	return h
}}

func (p *Proxy) serveH1(bl *boundListener, chain *config.Chain, tc *trackedConn, c net.Conn, br *bufio.Reader, peer string) {
	h := h1Pool.Get().(*h1conn)
	h.p, h.bl, h.tc, h.c, h.br, h.chain, h.peer = p, bl, tc, c, br, chain, peer
	h.bw.Reset(c)
	h.listener = bl.cfg.Load()
	h.source = p.opts.ID
	if h.listener.Direction == config.Inbound {
		h.source = peer
		if h.source == "" {
			h.source = "unknown"
		}
	}
	defer func() {
		h.p, h.bl, h.tc, h.c, h.br, h.chain, h.listener, h.seriesFor, h.series = nil, nil, nil, nil, nil, nil, nil, nil, nil
		h.bw.Reset(nil)
		h.body = nil // a view of br's buffer
		h.attrs = match.Attrs{}
		h1Pool.Put(h)
	}()
	if chain.HTTP == nil {
		return
	}
	for {
		tc.setLimits(&h.chain.HTTP.Limits)
		// Requests that arrive whole are served inside one held read
		// registration (h1held.go); the rest, and connections that cannot
		// be held, take the blocking path below, one request at a time.
		switch exit, err := h.serveHeld(); exit {
		case heldEnd:
			return
		case heldBadHead:
			h.headFailed(err)
			return
		case heldParsed:
			if !h.keepServing(h.serveOne(time.Now())) {
				return
			}
			continue
		}
		if br.Buffered() == 0 {
			tc.setState(connIdle)
			if _, err := br.Peek(1); err != nil {
				return // closed, or idle too long
			}
		}
		tc.setState(connHead)
		h.req.Limits = h.chain.HTTP.Limits.Head
		if err := h.req.Read(br); err != nil {
			h.headFailed(err)
			return
		}
		if !h.beginRequest() || !h.keepServing(h.serveOne(time.Now())) {
			return
		}
	}
}

// headFailed answers a request head that could not be read: 408 when the
// head timeout cut it, 400/431/501 when it was malformed, nothing when the
// connection ended.
func (h *h1conn) headFailed(err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) && h.tc.headTimedOut() {
		// Envoy's answer when request_headers_timeout fires.
		h.req.ContentLength, h.req.Chunked = -1, false
		h.localReply(408, "Request Timeout", "request header timeout\n", true, "request_header_timeout")
		h.lingerClose()
		return
	}
	if errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded) || isClosed(err) {
		return
	}
	status, reason := 400, "Bad Request"
	switch {
	case errors.Is(err, http1.ErrHeadTooLarge):
		status, reason = 431, "Request Header Fields Too Large"
	case errors.Is(err, http1.ErrNotImplemented):
		status, reason = 501, "Not Implemented"
	}
	h.req.ContentLength, h.req.Chunked = -1, false // the body's framing is unknown: close
	h.localReply(status, reason, "", true, "bad_request")
	h.lingerClose()
}

// beginRequest marks the connection busy for a request whose head was just
// read and picks up a changed listener; false: the request is refused
// unanswered and the connection ends.
func (h *h1conn) beginRequest() bool {
	h.tc.setState(connBusy)
	h.bodyDone = false
	// Routes are re-read per request so an RDS-only change reaches
	// existing connections, as in Envoy.
	if lc := h.bl.cfg.Load(); lc != h.listener {
		if h.tc.plaintextRefused() {
			// Read on a plaintext connection after the listener went
			// strict: never forwarded.
			h.p.log.Debug("plaintext request refused after strict mTLS", "listener", lc.Name)
			return false
		}
		h.listener = lc
		if ch := lc.ChainFor(h.chain.TLS != nil); ch != nil && ch.HTTP != nil {
			h.chain = ch
		}
	}
	return true
}

// keepServing reports whether the connection carries another request
// after one that ended with keep.
func (h *h1conn) keepServing(keep bool) bool {
	return keep && !h.p.draining.Load() && (h.bl.cfg.Load() == h.listener || !h.tc.plaintextRefused())
}

// lingerClose reads and drops what the client is still sending (up to
// 256 KiB, for at most 500 ms) before an error reply's connection closes:
// closing a socket with unread input makes the kernel send RST, and the
// client may then lose the reply it has not read yet. net/http does the
// same (closeWriteAndWait).
func (h *h1conn) lingerClose() {
	if h.held.on {
		h.held.linger = true // reads wait: done once the registration is let go (serveHeld)
		return
	}
	if cw, ok := h.tc.Conn.(interface{ CloseWrite() error }); ok && h.c == net.Conn(h.tc) {
		_ = cw.CloseWrite()
	}
	_ = h.tc.Conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, _ = io.CopyN(io.Discard, h.br, 256<<10)
}

func isClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF)
}

// localReply answers without an upstream. It consumes a small unread body
// so the connection stays usable, and closes it otherwise.
func (h *h1conn) localReply(status int, reason, body string, closing bool, why string) bool {
	if h.bodyDone {
		// already read (buffered or streamed upstream)
	} else if h.req.Chunked || h.req.ContentLength > maxBufferedBody {
		closing = true
	} else if h.req.ContentLength > 0 {
		if _, err := h.br.Discard(int(h.req.ContentLength)); err != nil {
			closing = true
		}
	}
	closing = closing || h.req.Close
	// Counted before it is written: once the client can read the reply, the
	// counter already says so (a scrape right after a 503 sees it).
	h.p.metrics.LocalReply(why)
	http1.WriteSimple(h.bw, status, reason, body, closing)
	_ = h.bw.Flush()
	return !closing
}

// readBody buffers a small Content-Length body; it reports false when the
// body must stream instead.
func (h *h1conn) readBody() (bool, error) {
	n := h.req.ContentLength
	if h.req.Chunked || n > maxBufferedBody {
		return false, nil
	}
	h.body = nil
	h.bodyDone = true
	if n <= 0 {
		return true, nil
	}
	if int(n) <= h.br.Buffered() {
		// Already read from the socket (always so on the held path): sent
		// upstream from the read buffer, not copied once more on the way.
		h.body, _ = h.br.Peek(int(n))
		_, err := h.br.Discard(int(n))
		return true, err
	}
	if int64(cap(h.bodyBuf)) < n {
		h.bodyBuf = make([]byte, n)
	}
	h.body = h.bodyBuf[:n]
	_, err := io.ReadFull(h.br, h.body)
	return true, err
}

func (h *h1conn) seriesOf(c *upstream.Cluster) *telemetry.Series {
	if c != h.seriesFor {
		h.seriesFor = c
		h.series = h.p.metrics.Series(h.listener.Direction, h.source, c.Name)
	}
	return h.series
}

// traceHeaders fills the per-request trace-context headers.
func (h *h1conn) traceHeaders() []http1.Dyn {
	tp, _ := h.req.Get("traceparent")
	var b3trace, b3span, b3sampled []byte
	if in, ok := h.req.Get("x-b3-spanid"); ok {
		b3span = in
		b3trace, _ = h.req.Get("x-b3-traceid")
		b3sampled, _ = h.req.Get("x-b3-sampled")
	}
	tpOut, span, parent := h.trace.Propagate(tp, b3trace, b3span, b3sampled)
	h.dyn[0] = http1.Dyn{Name: "traceparent", Value: tpOut}
	h.dyn[1] = http1.Dyn{Name: "x-b3-spanid", Value: span}
	h.dyn[2] = http1.Dyn{Name: "x-b3-parentspanid", Value: parent}
	if len(h.p.pad) == 0 {
		return h.dyn[:3]
	}
	h.dynPad = append(append(h.dynPad[:0], h.dyn[:3]...), h.p.pad...)
	return h.dynPad
}
