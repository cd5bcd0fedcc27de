package dataplane

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/router"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

// fstream is one request relayed by the lean path: a downstream stream
// and, once dispatched, an upstream one. Lock order: mu, then a
// connection's wmu; never two wmu at once.
//
// Streams are pooled (fstreamPool) and reference counted: the stream's
// life (from onRequest to the end of finish) holds one reference, and so
// does every holder that may use it without a lock that keeps it alive:
// a reader between finding it in a connection's streams map and the end
// of that frame's handling, a half listed in a connection's blocked list,
// an armed timer, a goroutine (fault delay, retry). The last release
// returns it to the pool, so a recycled stream is never reachable from
// an old holder.
type fstream struct {
	refs      atomic.Int32
	srv       *fserver
	down      *fconn
	downID    uint32
	req, resp fhalf
	start     time.Time

	// set before dispatch, read-only after
	hc        *config.HTTP
	route     *router.Route
	cluster   *upstream.Cluster
	fields    []hpack.HeaderField // the request head to forward
	method    string
	path      string
	authority string
	grpc      bool
	bodiless  bool         // the request head ended the stream
	declared  int64        // content-length, -1 unknown
	attrs     match.Attrs  // what admission matched (kept here: no allocation)
	fh        fieldHeaders // the request's fields, as attrs.Headers shows them
	scratch   []hpack.HeaderField
	body      atomic.Int64 // request bytes read
	lastRead  atomic.Int64

	mu      sync.Mutex
	up      *fconn // guarded by mu and up.wmu
	upID    uint32
	ep      *upstream.Endpoint
	attempt int
	// retryHold keeps a scheduled retry in the cluster's retry count until
	// its attempt is over (h1forward); released at the next decision, at
	// finish and, failing both, at recycle.
	retryHold   resilience.RetryHold
	respStarted bool
	status      int
	done        bool
	// keepBody: the route may retry a request with a body, so the body is
	// kept (kept, up to the retry buffer limit) to send again; keptOver:
	// it outgrew the limit and is no longer kept (no retry).
	keepBody bool
	keptOver bool
	kept     []byte
	// timers are the route timeout, the stream idle timeout and the
	// attempt's per-try timeout (timerTry), kept with the pooled stream and
	// re-armed; armed says which this use armed (each armed timer holds a
	// reference until it is stopped or has run). tryEnd is when the armed
	// per-try timeout expires: a run of its timer that finds it later is
	// a stale one (stopped too late, then re-armed for the next attempt).
	timers [3]*time.Timer
	armed  [3]bool
	tryEnd time.Time
	// tried are the endpoints the request was sent to (Envoy's
	// previous_hosts predicate: a retry avoids them); ntried counts them,
	// the array keeps the first ones.
	tried  [4]*upstream.Endpoint
	ntried int
}

// Timer indexes of fstream.timers.
const (
	timerRoute = iota
	timerIdle
	timerTry
)

var fstreamPool = sync.Pool{New: func() any { return new(fstream) }}

// fstreamsOut counts streams taken from the pool and not yet returned:
// tests check every path gives its streams back.
var fstreamsOut atomic.Int64

// newFstream takes a stream from the pool with two references: its life,
// dropped at the end of finish, and the caller's.
func newFstream() *fstream {
	st := fstreamPool.Get().(*fstream)
	st.refs.Store(2)
	fstreamsOut.Add(1)
	return st
}

// ref takes a reference. The caller must know st is alive: found in a
// connection's streams map under its wmu, or already holding a reference.
func (st *fstream) ref() { st.refs.Add(1) }

// unref drops a reference; the last one recycles the stream.
func (st *fstream) unref() {
	switch n := st.refs.Add(-1); {
	case n == 0:
		st.recycle()
	case n < 0:
		panic("h2fast: stream reference count below zero")
	}
}

// maxPooledBuf bounds the buffers a recycled stream keeps: a body that
// once waited for a window must not pin its memory in the pool.
const maxPooledBuf = 16 << 10

// recycle resets st, keeping its timers and small buffers, and pools it.
func (st *fstream) recycle() {
	keep := func(b []byte) []byte {
		if cap(b) > maxPooledBuf {
			return nil
		}
		return b[:0]
	}
	st.retryHold.Release()
	timers, reqPend, respPend, kept := st.timers, keep(st.req.pend), keep(st.resp.pend), keep(st.kept)
	fields, scratch := st.fields[:0], st.scratch[:0]
	clear(fields[:cap(fields)])
	clear(scratch[:cap(scratch)])
	*st = fstream{timers: timers, fields: fields, scratch: scratch, kept: kept} // tried cleared: no endpoint kept alive by the pool
	st.req.pend, st.resp.pend = reqPend, respPend
	fstreamsOut.Add(-1)
	fstreamPool.Put(st)
}

// replayableLocked reports whether the request can be sent again: it has
// no body, or its body is kept whole. Called under st.mu.
func (st *fstream) replayableLocked() bool {
	return st.bodiless || st.keepBody && !st.keptOver
}

// keepLocked keeps request body bytes for a retry, until they outgrow the
// route's retry buffer: then the body is dropped and counted (Envoy's
// retry_or_shadow_abandoned), and the request is not retried. Called
// under st.mu.
func (st *fstream) keepLocked(data []byte) {
	if st.keptOver || len(data) == 0 {
		return
	}
	if int64(len(st.kept)+len(data)) > st.route.Retry.BodyLimit() {
		st.keptOver, st.kept = true, nil
		st.srv.p.metrics.RetriesAbandoned.WithLabelValues(st.cluster.Name).Inc()
		return
	}
	st.kept = append(st.kept, data...)
}

// goRetry runs retryAfter on a goroutine of its own, which holds a
// reference.
func (st *fstream) goRetry() {
	st.ref()
	go func() {
		defer st.unref()
		st.retryAfter()
	}()
}

// halfTo is the half whose frames are written to c (under c.wmu).
func (st *fstream) halfTo(c *fconn) *fhalf {
	switch c {
	case st.down:
		return &st.resp
	case st.up:
		return &st.req
	}
	return nil
}

// halfFrom is the half whose frames are read from c (under c.wmu).
func (st *fstream) halfFrom(c *fconn) *fhalf {
	switch c {
	case st.down:
		return &st.req
	case st.up:
		return &st.resp
	}
	return nil
}

// countBody checks the request body against its content-length (RFC 9113
// 8.1.1: a mismatch is malformed) and stamps the stream idle clock.
func (st *fstream) countBody(c *fconn, n int, end bool) bool {
	if c != st.down {
		return true
	}
	body := st.body.Add(int64(n))
	if st.hc != nil && st.hc.StreamIdleTimeout > 0 {
		st.lastRead.Store(time.Now().UnixNano())
	}
	if st.declared >= 0 && (body > st.declared || end && body != st.declared) {
		c.onStreamError(http2.StreamError{StreamID: st.downID, Code: http2.ErrCodeProtocol})
		return false
	}
	return true
}

// onHeaders takes a header block on an open stream: the response head or
// trailers from upstream, trailers from downstream.
func (st *fstream) onHeaders(c *fconn, h *fhalf, f *hblock) error {
	if h == nil {
		return nil // the stream left this connection (a retry moved it)
	}
	if h == &st.resp { // from upstream (h was chosen under c.wmu; st.up may change meanwhile)
		st.mu.Lock()
		started := st.respStarted
		st.mu.Unlock()
		if !started {
			st.onResponse(c, f)
			return nil
		}
	}
	if !f.StreamEnded() { // trailers end the stream; anything else is malformed
		c.onStreamError(http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeProtocol})
		return nil
	}
	c.wmu.Lock()
	h.srcEnded = true
	c.wmu.Unlock()
	tr := f.RegularFields() // relay copies them if they must wait: the block is reused
	if tr == nil {
		tr = []hpack.HeaderField{}
	}
	h.relay(c, nil, true, tr)
	return nil
}

// onResponse takes the upstream's response head: an interim one is
// forwarded, a retriable status retried, a final one forwarded with the
// route's edits.
func (st *fstream) onResponse(c *fconn, f *hblock) {
	status, err := strconv.Atoi(f.PseudoValue("status"))
	if err != nil || status < 100 || status == 101 || status > 999 {
		c.onStreamError(http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeProtocol})
		return
	}
	if status < 200 {
		st.scratch = responseFields(st.scratch[:0], status, f.RegularFields(), nil)
		st.writeDown(c, st.scratch, false)
		return
	}
	st.mu.Lock()
	if st.done || st.up != c {
		st.mu.Unlock()
		return
	}
	ep := st.ep
	grpcCode, isGRPCStatus := st.trailersOnlyStatus(f)
	outlier := status
	if isGRPCStatus { // Envoy feeds the detector the status mapped to HTTP
		outlier = resilience.GRPCStatusAsHTTP(grpcCode)
	}
	st.cluster.Outlier.Record(ep.Host, outlier, time.Now().UnixNano())
	retryOn := st.route.Retry.RetryStatus(status) || isGRPCStatus && st.route.Retry.RetryGRPC(grpcCode)
	if st.replayableLocked() && st.attempt <= retryCount(st.route) && retryOn && st.retryHold.Acquire(st.cluster.Breakers) {
		d := st.detachUpLocked(c) // under st.mu: the per-try timer cannot retry it too
		st.mu.Unlock()
		d.after(st)
		st.srv.p.metrics.Retries.WithLabelValues(st.cluster.Name).Inc()
		st.goRetry()
		return
	}
	st.respStarted, st.status = true, status
	// The response has started: the per-try timeout no longer applies
	// (Envoy ignores it once the downstream response has begun).
	unrefTry := st.armed[timerTry] && st.timers[timerTry].Stop()
	st.armed[timerTry] = false
	st.mu.Unlock()
	if unrefTry {
		st.unref() // the caller's reference keeps st alive
	}
	end := f.StreamEnded()
	if end {
		c.wmu.Lock()
		st.resp.srcEnded = true
		c.wmu.Unlock()
	}
	st.scratch = responseFields(st.scratch[:0], status, f.RegularFields(), st.route.RespEdits)
	if st.writeDown(c, st.scratch, end) {
		st.finish(c)
	}
}

// trailersOnlyStatus is the grpc-status of a gRPC call's response head:
// present only in a trailers-only response, which is what Envoy's gRPC
// retry conditions and its outlier detection read.
func (st *fstream) trailersOnlyStatus(f *hblock) (int, bool) {
	if !st.grpc {
		return 0, false
	}
	for _, h := range f.RegularFields() {
		if h.Name == "grpc-status" {
			code, err := strconv.Atoi(h.Value)
			return code, err == nil
		}
	}
	return 0, false
}

// writeDown writes a header block downstream; it reports whether it
// ended the stream.
func (st *fstream) writeDown(rd *fconn, fields []hpack.HeaderField, end bool) bool {
	d := st.down
	d.wmu.Lock()
	ok := d.streams[st.downID] == st && !st.resp.ended
	if ok {
		d.writeHeadersLocked(st.downID, fields, end)
		if end {
			st.resp.ended = true
		}
	}
	if rd == nil && d.dirty {
		_ = d.flushLocked()
	}
	d.wmu.Unlock()
	if rd != nil {
		rd.touch(d)
	}
	return ok && end
}

// retryAfter sleeps the route's backoff and dispatches again.
func (st *fstream) retryAfter() {
	st.mu.Lock()
	st.attempt++
	attempt := st.attempt - 1
	st.mu.Unlock()
	time.Sleep(st.route.Retry.Backoff(attempt))
	st.dispatch(nil)
}

// onReset: the stream was reset (or its connection lost) on c.
func (st *fstream) onReset(c *fconn, code http2.ErrCode) {
	st.mu.Lock()
	if st.done {
		st.mu.Unlock()
		return
	}
	fromUp := c == st.up
	started := st.respStarted
	ep := st.ep
	st.mu.Unlock()
	if !fromUp {
		st.finish(nil) // the client gave up (or its connection went)
		return
	}
	if started {
		st.resetDown(code)
		st.finish(nil)
		return
	}
	st.cluster.Outlier.Record(ep.Host, 0, time.Now().UnixNano())
	st.mu.Lock()
	if st.done || st.up != c { // the per-try timeout moved the stream on meanwhile
		st.mu.Unlock()
		return
	}
	d := st.detachUpLocked(c)
	refused := code == http2.ErrCodeRefusedStream
	refusedOnce := refused && st.attempt <= 1
	retry := st.replayableLocked() && (refusedOnce || st.attempt <= retryCount(st.route) &&
		(st.route.Retry.RetryReset() || refused && st.route.Retry.RetryRefusedStream()))
	st.mu.Unlock()
	d.after(st)
	switch {
	case retry && refusedOnce: // never processed (GOAWAY, REFUSED_STREAM): safe to send again
		st.goRetry()
	case retry && st.retryHold.Acquire(st.cluster.Breakers):
		st.srv.p.metrics.Retries.WithLabelValues(st.cluster.Name).Inc()
		st.goRetry()
	default:
		st.localReply(nil, 503, "upstream connect error or reset\n", "upstream_reset")
	}
}

func (st *fstream) resetDown(code http2.ErrCode) {
	d := st.down
	d.wmu.Lock()
	if d.streams[st.downID] == st {
		delete(d.streams, st.downID)
		d.active--
		d.writeRSTLocked(st.downID, code)
		_ = d.flushLocked()
	}
	d.wmu.Unlock()
}

// detachUp ends the stream's upstream leg (a retry or a local reply
// follows): the upstream stream is reset and its slot freed.
func (st *fstream) detachUp(c *fconn) {
	st.mu.Lock()
	d := st.detachUpLocked(c)
	st.mu.Unlock()
	d.after(st)
}

// detached is what detachUpLocked leaves to do once st.mu is released.
type detached struct {
	up       *fconn
	ep       *upstream.Endpoint
	dropped  int64
	unrefTry bool // the per-try timer was stopped: its reference goes
}

// detachUpLocked is detachUp's part under st.mu: the upstream stream is
// reset and forgotten, the per-try timer stopped.
func (st *fstream) detachUpLocked(c *fconn) detached {
	var d detached
	if st.armed[timerTry] {
		st.armed[timerTry] = false
		d.unrefTry = st.timers[timerTry].Stop()
	}
	up, id, ep := st.up, st.upID, st.ep
	if up == nil || (c != nil && up != c) {
		return d
	}
	up.wmu.Lock() // st.up is read under up.wmu (halfTo, halfFrom): cleared under it
	st.up, st.ep = nil, nil
	d.up, d.ep, d.dropped = up, ep, int64(len(st.req.pend))
	st.req.pend, st.req.resend = st.req.pend[:0], nil
	st.req.dst = nil
	up.dropStreamLocked(st, id)
	up.wmu.Unlock()
	return d
}

func (d detached) after(st *fstream) {
	if d.unrefTry {
		defer st.unref()
	}
	if d.up == nil {
		return
	}
	d.up.flush()
	d.ep.Host.End()
	st.srv.p.fastPool(st.cluster).released(d.up)
	st.down.credit(&st.req, d.dropped, true)
}

// dropStreamLocked forgets st's stream id, resetting it unless both
// directions ended cleanly.
func (c *fconn) dropStreamLocked(st *fstream, id uint32) {
	if c.streams[id] != st {
		return
	}
	delete(c.streams, id)
	c.active--
	if !(st.req.ended && st.resp.srcEnded) {
		c.writeRSTLocked(id, http2.ErrCodeCancel)
	}
}

// halfEnded: END_STREAM went out on h. The stream is over when the
// response has ended downstream.
func (st *fstream) halfEnded(h *fhalf, rd *fconn) {
	if h == &st.resp {
		st.finish(rd)
	}
}
