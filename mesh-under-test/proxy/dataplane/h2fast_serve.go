package dataplane

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/router"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

// fserver is the proxy side of one downstream connection on the lean path.
type fserver struct {
	p      *Proxy
	c      *fconn
	bl     *boundListener
	tc     *trackedConn
	peer   string
	source string
	tls    bool
}

// h2FastEligible reports whether a connection on chain can take the lean
// path: every route's cluster speaks HTTP/2 (the h2 -> HTTP/1.1 bridge
// stays on the x/net/http2 path).
func h2FastEligible(chain *config.Chain) bool {
	if chain.HTTP == nil || chain.HTTP.Routes == nil {
		return false
	}
	ok := true
	chain.HTTP.Routes.EachRoute(func(r *router.Route) {
		for _, wc := range r.Clusters {
			if wc.Cluster != nil && wc.Cluster.Protocol == upstream.ProtoHTTP1 {
				ok = false
			}
		}
	})
	return ok
}

// serveH2Fast serves an HTTP/2 connection on the lean path to its end.
func (p *Proxy) serveH2Fast(bl *boundListener, chain *config.Chain, tc *trackedConn, conn net.Conn, br *bufio.Reader, peer string) {
	var pre [len(h2Preface)]byte
	if _, err := io.ReadFull(br, pre[:]); err != nil || string(pre[:]) != h2Preface {
		return
	}
	source := p.h2Source(bl, peer)
	c := newFconn(conn, br, true)
	c.srv = &fserver{p: p, c: c, bl: bl, tc: tc, peer: peer, source: source, tls: chain.TLS != nil}
	tc.setLimits(&chain.HTTP.Limits)
	tc.setState(connIdle)
	if c.start() != nil {
		return
	}
	p.fast.Store(c, struct{}{})
	defer p.fast.Delete(c)
	if p.draining.Load() {
		c.goAway(http2.ErrCodeNo)
	}
	c.serve()
}

// drain tells a lean-path client to open no new streams (GOAWAY) and
// closes the connection once its streams have ended.
func (c *fconn) drain() {
	c.goAway(http2.ErrCodeNo)
	c.wmu.Lock()
	if c.active == 0 {
		c.closeLocked()
	}
	c.wmu.Unlock()
}

func (s *fserver) streamCount(delta int) {
	s.c.wmu.Lock()
	n := s.c.active
	closeNow := n == 0 && s.c.goaway
	if closeNow {
		s.c.closeLocked()
	}
	s.c.wmu.Unlock()
	switch {
	case delta > 0 && n == 1:
		s.tc.setState(connBusy)
	case delta < 0 && n == 0:
		s.tc.setState(connIdle)
		if s.tc.plaintextRefused() {
			s.tc.wakeIfIdle()
		}
	}
}

// connection-specific fields make an HTTP/2 request malformed (RFC 9113 8.2.2).
func connSpecific(f hpack.HeaderField) bool {
	switch f.Name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return true
	case "te":
		return f.Value != "trailers"
	}
	return false
}

// onRequest takes a new stream's request head (on the reader goroutine).
func (s *fserver) onRequest(id uint32, f *hblock) {
	c := s.c
	st := newFstream()
	defer st.unref() // this call's reference; the stream's life holds its own
	st.srv, st.down, st.downID, st.start, st.declared = s, c, id, time.Now(), -1
	st.req.st, st.resp.st = st, st
	st.req.src, st.req.srcID, st.req.recvWin = c, id, fastStreamWin
	c.wmu.Lock()
	st.req.srcEnded = f.StreamEnded()
	st.req.endPend = f.StreamEnded()
	st.resp.dst, st.resp.id, st.resp.sendWin = c, id, c.peerInit
	c.streams[id] = st
	c.active++
	c.wmu.Unlock()
	s.streamCount(1)
	st.method, st.path, st.authority = f.PseudoValue("method"), f.PseudoValue("path"), f.PseudoValue("authority")
	scheme := f.PseudoValue("scheme")
	regular := f.RegularFields()
	for _, h := range regular {
		switch {
		case connSpecific(h):
			c.onStreamError(http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol})
			return
		case h.Name == "content-type":
			st.grpc = strings.HasPrefix(h.Value, "application/grpc")
		case h.Name == "content-length":
			n, err := strconv.ParseInt(h.Value, 10, 64)
			if err != nil || n < 0 {
				c.onStreamError(http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol})
				return
			}
			st.declared = n
		case h.Name == "host" && st.authority == "":
			st.authority = h.Value
		}
	}
	if f.Truncated {
		st.localReply(c, 431, "request header fields too large\n", "bad_request")
		return
	}
	if st.method == "" || scheme == "" || st.path == "" || st.method == "CONNECT" {
		c.onStreamError(http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol})
		return
	}
	st.bodiless = f.StreamEnded()
	lc := s.bl.cfg.Load()
	chain := lc.ChainFor(s.tls)
	switch {
	case s.tc.plaintextRefused():
		st.localReply(c, 503, "plaintext no longer accepted\n", "plaintext_refused")
		return
	case chain == nil || chain.HTTP == nil:
		st.localReply(c, 503, "listener changed\n", "no_chain")
		return
	}
	st.hc = chain.HTTP
	st.fh = regular
	a := &st.attrs
	*a = match.Attrs{Authority: match.BytesOf(st.authority), Path: match.BytesOf(st.path),
		Method: match.BytesOf(st.method), Headers: &st.fh, Principal: s.peer}
	ad, _, delay := s.p.admitHead(st.hc, a, nil, nil, st.start)
	if delay > 0 { // a fault delay must not hold the connection's other streams
		regular := cloneFields(regular) // the block is reused by the next one
		st.ref()
		go func() {
			defer st.unref()
			time.Sleep(delay)
			s.proceed(st, s.p.admitTail(ad), regular, nil)
		}()
		return
	}
	s.proceed(st, s.p.admitTail(ad), regular, c)
}

// proceed forwards an admitted request, or answers it locally.
func (s *fserver) proceed(st *fstream, ad admission, regular []hpack.HeaderField, rd *fconn) {
	if ad.status > 0 {
		st.localReply(rd, ad.status, ad.body, ad.why)
		return
	}
	if ad.cluster.Protocol == upstream.ProtoHTTP1 && !st.grpc {
		// The configuration moved this route to an HTTP/1.1 cluster after
		// the connection chose the lean path: the client retries a refused
		// stream on a new connection, which takes the bridge.
		ad.cluster.Breakers.ReleaseRequest()
		s.c.onStreamError(http2.StreamError{StreamID: st.downID, Code: http2.ErrCodeRefusedStream})
		s.c.goAway(http2.ErrCodeNo)
		return
	}
	if string(ad.target) != st.path { // the normalised path: a copy only when it differs
		st.path = string(ad.target)
	}
	st.route, st.cluster = ad.route, ad.cluster
	st.fields = requestFields(st, regular)
	st.armTimers()
	st.mu.Lock()
	st.attempt = 1
	if !st.bodiless && st.route.Retry != nil {
		// The route may retry: keep the body to send again (Envoy buffers
		// it up to the retry buffer limit). What arrived before now is all
		// still waiting in pend: nothing has gone upstream yet.
		st.keepBody = true
		st.keepLocked(st.req.pend)
	}
	st.mu.Unlock()
	st.dispatch(rd)
}

// dispatch picks an endpoint and opens the upstream stream.
func (st *fstream) dispatch(rd *fconn) {
	cl := st.cluster
	now := time.Now()
	var ep *upstream.Endpoint
	st.mu.Lock()
	if st.ntried > 0 {
		ep = cl.PickRetry(now, st.route.Retry, st.tried[:min(st.ntried, len(st.tried))])
	} else {
		ep = cl.Pick(now)
	}
	if ep != nil {
		if st.ntried < len(st.tried) {
			st.tried[st.ntried] = ep
		}
		st.ntried++
	}
	st.mu.Unlock()
	if ep == nil {
		st.localReply(rd, 503, "no healthy upstream\n", "no_healthy_upstream")
		return
	}
	ep.Host.Begin()
	pool := st.srv.p.fastPool(cl)
	up, err := pool.get(ep.Host.Addr)
	if err != nil {
		ep.Host.End()
		cl.Outlier.Record(ep.Host, 0, now.UnixNano())
		st.mu.Lock()
		retry := st.replayableLocked() && st.attempt <= retryCount(st.route) && st.route.Retry.RetryConnectFailure()
		st.mu.Unlock()
		if retry && st.retryHold.Acquire(cl.Breakers) {
			st.srv.p.metrics.Retries.WithLabelValues(cl.Name).Inc()
			st.goRetry()
			return
		}
		st.localReply(rd, 503, "upstream connect error or reset\n", "upstream_reset")
		return
	}
	st.attach(rd, up, ep, pool)
}

// attach opens the stream on up (a slot already reserved there) and sends
// the request head and any body that arrived meanwhile.
func (st *fstream) attach(rd, up *fconn, ep *upstream.Endpoint, pool *fpool) {
	st.mu.Lock()
	// A retry whose body outgrew the retry buffer during its backoff has
	// nothing whole to send: Envoy answers 507.
	overflowed := !st.done && st.keepBody && st.keptOver && st.ntried > 1
	if st.done || overflowed {
		st.mu.Unlock()
		up.wmu.Lock()
		up.active--
		up.wmu.Unlock()
		ep.Host.End()
		pool.released(up)
		if overflowed {
			st.localReply(rd, 507, "exceeded request buffer limit while retrying upstream\n", "retry_buffer_overflow")
		}
		return
	}
	up.wmu.Lock()
	id := up.nextID
	up.nextID += 2
	up.lastID = id
	up.streams[id] = st
	st.up, st.upID, st.ep = up, id, ep
	h := &st.req
	h.dst, h.id, h.sendWin, h.ended = up, id, up.peerInit, false
	if st.keepBody && !st.keptOver {
		// pend holds what arrived since the last attempt was given up;
		// everything before it is sent again first (on the first attempt,
		// nothing: kept is pend).
		h.resend = st.kept[:len(st.kept)-len(h.pend)]
	}
	end := h.endPend && len(h.pend) == 0 && len(h.resend) == 0 && !h.hasTrailers
	up.writeHeadersLocked(id, st.fields, end)
	h.ended = end
	var n int64
	if !end {
		n = h.pushLocked(up, nil)
	}
	r := &st.resp
	r.src, r.srcID, r.recvWin, r.recvUnacked, r.srcEnded = up, id, fastStreamWin, 0, false
	if rd == nil {
		_ = up.flushLocked()
	}
	up.wmu.Unlock()
	if p := st.route.Retry; p != nil && p.PerTryTimeout > 0 && !st.armed[timerTry] {
		// From the attempt's start, as HTTP/1.1's deadline (h1forward).
		st.tryEnd = time.Now().Add(p.PerTryTimeout)
		st.arm(timerTry, p.PerTryTimeout)
	}
	st.mu.Unlock()
	if rd != nil {
		rd.touch(up)
	}
	st.down.credit(&st.req, n, rd == nil)
}

// localReply answers the stream from the proxy (and drops its upstream
// leg): gRPC requests get a trailers-only response with the mapped status.
func (st *fstream) localReply(rd *fconn, status int, body, why string) {
	st.mu.Lock()
	if st.done || st.respStarted {
		st.mu.Unlock()
		return
	}
	st.respStarted, st.status = true, status
	st.req.discard = true
	var dropped int64
	if st.up == nil {
		dropped = int64(len(st.req.pend))
		st.req.pend = nil
	}
	st.mu.Unlock()
	st.detachUp(nil)
	st.down.credit(&st.req, dropped, rd == nil)
	st.srv.p.metrics.LocalReply(why)
	var fields []hpack.HeaderField
	st.grpcOr(func() {
		fields = []hpack.HeaderField{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "application/grpc"},
			{Name: "grpc-status", Value: strconv.Itoa(grpcStatus(status))}, {Name: "grpc-message", Value: strings.TrimSpace(body)}}
	}, func() {
		fields = []hpack.HeaderField{{Name: ":status", Value: strconv.Itoa(status)}, {Name: "content-type", Value: "text/plain"},
			{Name: "content-length", Value: strconv.Itoa(len(body))}}
	})
	d := st.down
	d.wmu.Lock()
	if d.streams[st.downID] == st {
		d.writeHeadersLocked(st.downID, fields, st.grpc)
		if st.grpc {
			st.resp.ended = true
		} else {
			st.resp.endPend = true
			st.resp.pushLocked(d, []byte(body))
		}
	}
	ended := st.resp.ended
	if rd == nil && d.dirty {
		_ = d.flushLocked()
	}
	d.wmu.Unlock()
	if rd != nil {
		rd.touch(d)
	}
	if ended {
		st.finish(rd)
	}
}

func (st *fstream) grpcOr(grpc, other func()) {
	if st.grpc {
		grpc()
	} else {
		other()
	}
}

// armTimers starts the route timeout and, for a request with a body, the
// stream idle timeout.
func (st *fstream) armTimers() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if d := st.route.Timeout; d > 0 {
		st.arm(timerRoute, d)
	}
	if d := st.hc.StreamIdleTimeout; d > 0 && !st.bodiless {
		st.lastRead.Store(time.Now().UnixNano())
		st.arm(timerIdle, d)
	}
}

// arm starts timer i (timerRoute, timerIdle, timerTry), kept with the
// pooled stream: created once, then re-armed (the method value is made
// only then: it allocates). The armed timer holds a reference. Called
// under st.mu.
func (st *fstream) arm(i int, d time.Duration) {
	st.ref()
	st.armed[i] = true
	switch {
	case st.timers[i] != nil:
		st.timers[i].Reset(d)
	case i == timerRoute:
		st.timers[i] = time.AfterFunc(d, st.onTimeout)
	case i == timerIdle:
		st.timers[i] = time.AfterFunc(d, st.onIdle)
	default:
		st.timers[i] = time.AfterFunc(d, st.onTryTimeout)
	}
}

// onTryTimeout: the attempt got no response head within the route's
// per-try timeout. Its upstream stream is reset (RST_STREAM CANCEL) and,
// as on HTTP/1.1 (h1forward) and in Envoy under 5xx, gateway-error and
// reset, retried within the retry policy and budget; else 504 (a gRPC
// caller gets grpc-status 14, as Envoy maps its local 504). Decided and
// detached under st.mu, so a response arriving meanwhile is either
// relayed (the timer finds respStarted) or dropped (onResponse finds the
// leg gone), never both.
func (st *fstream) onTryTimeout() {
	defer st.unref() // the armed timer's reference
	st.mu.Lock()
	if st.done || st.respStarted || st.up == nil || !st.armed[timerTry] || time.Now().Before(st.tryEnd) {
		st.mu.Unlock()
		return
	}
	st.armed[timerTry] = false
	// Envoy's LocalOriginTimeout: counted with the timeout's code, 504.
	st.cluster.Outlier.Record(st.ep.Host, http.StatusGatewayTimeout, time.Now().UnixNano())
	retry := st.replayableLocked() && st.attempt <= retryCount(st.route) && st.route.Retry.RetryReset() &&
		st.retryHold.Acquire(st.cluster.Breakers)
	if !retry {
		st.mu.Unlock()
		st.localReply(nil, 504, "upstream request timeout\n", "upstream_timeout")
		return
	}
	d := st.detachUpLocked(nil)
	st.mu.Unlock()
	d.after(st)
	st.srv.p.metrics.Retries.WithLabelValues(st.cluster.Name).Inc()
	st.goRetry()
}

func (st *fstream) onTimeout() {
	defer st.unref() // the armed timer's reference
	st.mu.Lock()
	started, done, ep := st.respStarted, st.done, st.ep
	st.mu.Unlock()
	if done {
		return
	}
	if !started {
		if ep != nil { // an attempt awaiting its head: a timeout, as Envoy counts it
			st.cluster.Outlier.Record(ep.Host, http.StatusGatewayTimeout, time.Now().UnixNano())
		}
		st.localReply(nil, 504, "upstream request timeout\n", "upstream_timeout")
		return
	}
	st.resetDown(http2.ErrCodeCancel)
	st.finish(nil)
}

// onIdle fires stream_idle_timeout while the request body is still
// arriving: a body that stops moving ends the stream (408, as Envoy).
func (st *fstream) onIdle() {
	d := st.hc.StreamIdleTimeout
	st.down.wmu.Lock()
	ended := st.req.srcEnded
	st.down.wmu.Unlock()
	if ended {
		st.unref() // the armed timer's reference
		return
	}
	if idle := time.Duration(time.Now().UnixNano() - st.lastRead.Load()); idle < d {
		st.mu.Lock()
		rearm := !st.done
		if rearm { // the timer's reference goes with it
			st.timers[timerIdle].Reset(d - idle)
		}
		st.mu.Unlock()
		if !rearm {
			st.unref()
		}
		return
	}
	defer st.unref()
	st.mu.Lock()
	started := st.respStarted
	st.mu.Unlock()
	if started {
		st.resetDown(http2.ErrCodeCancel)
		st.finish(nil)
		return
	}
	st.localReply(nil, 408, "stream timeout\n", "stream_idle_timeout")
}

// finish ends the stream once: both legs forgotten (reset where still
// open), the slot, endpoint and breaker released, metrics and the access
// log written.
func (st *fstream) finish(rd *fconn) {
	st.mu.Lock()
	if st.done {
		st.mu.Unlock()
		return
	}
	st.done = true
	var stopped int32 // armed timers that will not run: their references
	for i, t := range st.timers {
		if st.armed[i] && t.Stop() {
			stopped++
		}
		st.armed[i] = false
	}
	up, upID, ep, status := st.up, st.upID, st.ep, st.status
	if up != nil {
		up.wmu.Lock() // st.up is read under up.wmu (halfTo, halfFrom): cleared under it
		st.up, st.ep = nil, nil
		up.dropStreamLocked(st, upID)
		up.wmu.Unlock()
	}
	st.mu.Unlock()
	d := st.down
	d.wmu.Lock()
	if d.streams[st.downID] == st {
		delete(d.streams, st.downID)
		d.active--
		if !st.resp.ended {
			d.writeRSTLocked(st.downID, http2.ErrCodeCancel)
		} else if !st.req.srcEnded {
			d.writeRSTLocked(st.downID, http2.ErrCodeNo) // answered: the rest of the body is not wanted
		}
	}
	if rd == nil && d.dirty {
		_ = d.flushLocked()
	}
	d.wmu.Unlock()
	if rd != nil {
		rd.touch(d)
	}
	if up != nil {
		if rd != nil {
			rd.touch(up)
		} else {
			up.flush()
		}
		st.srv.p.fastPool(st.cluster).released(up)
	}
	if ep != nil {
		ep.Host.End()
	}
	st.srv.streamCount(-1)
	// The stream's life and the stopped timers' references go; every
	// caller holds one of its own, so st is recycled after it, not here.
	defer func() {
		for range 1 + stopped {
			st.unref()
		}
	}()
	if st.cluster == nil {
		return
	}
	st.retryHold.Release()
	st.cluster.Breakers.ReleaseRequest()
	if status == 0 {
		status = 503 // the client or upstream went away before an answer
	}
	s := st.srv
	lc := s.bl.cfg.Load()
	dur := time.Since(st.start)
	d.wmu.Lock()
	respBytes := st.resp.relayed
	d.wmu.Unlock()
	s.p.metrics.Series(lc.Direction, s.source, st.cluster.Name).Observe(status, dur, st.body.Load(), respBytes)
	if f := st.hc.AccessLogFraction; f > 0 {
		if al := s.p.accessLog(f); al.Sampled() {
			al.Write(&telemetry.Entry{Listener: lc.Name, Protocol: "HTTP/2.0", Method: st.method, Path: st.path,
				Authority: st.authority, Source: s.source, Cluster: st.cluster.Name, Status: status,
				ReqBytes: st.body.Load(), RespBytes: respBytes, Duration: dur})
		}
	}
}
