package dataplane

import (
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/router"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

// serveOne handles the request in h.req and reports whether the downstream
// connection may carry another.
func (h *h1conn) serveOne(start time.Time) bool {
	req, hc := h.req, h.chain.HTTP
	a := &h.attrs
	// A new request: no span until forward decides its context.
	*h.trace.Hop() = telemetry.Hop{}
	h.trace.Generate, h.trace.Sampling = hc.GenerateTraces, 0
	if hc.Tracing != nil {
		h.trace.Sampling = hc.Tracing.Sampling
	}
	h.hdrs.req, h.hdrs.buf = req, h.hdrs.buf[:0]
	a.Authority, a.Path, a.Method, a.Headers, a.Principal = req.Host, req.Target, req.Method, &h.hdrs, h.peer

	var upgrade []byte
	if req.Upgrade {
		upgrade, _ = req.Get("upgrade")
	}
	ad, scratch := h.p.admit(hc, a, upgrade, h.path, start)
	h.path = scratch
	if ad.status > 0 {
		return h.localReply(ad.status, reason(ad.status), ad.body, false, ad.why)
	}
	req.Target = ad.target
	route, cluster := ad.route, ad.cluster
	defer cluster.Breakers.ReleaseRequest()
	if req.Expect100 {
		_, _ = h.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		if err := h.bw.Flush(); err != nil {
			return false
		}
	}
	buffered, err := h.readBody()
	if err != nil {
		return false
	}
	// The first attempt's clock. A request served held (h1held.go) had its
	// head and body in the read buffer, so unless admission slept (a fault
	// delay) nothing since start waited: start is the attempt's time too,
	// one clock read fewer per request. The blocking path may have waited
	// for the body.
	at := start
	if !h.held.on || ad.waited {
		at = time.Now()
	}
	return h.forward(start, at, route, cluster, buffered)
}

// attempt outcomes
type outcome uint8

const (
	gotResponse outcome = iota
	connectFailed
	overflowed
	resetBeforeResponse
	timedOut
	downstreamGone
	// protocolError: the upstream's response head is malformed (502).
	protocolError
	// badBody: the client's chunked body is malformed (400, close).
	badBody
	// endpointRemoved: the endpoint left the configuration while the
	// request was on its way (upstream.Endpoint.Remove closed the
	// connection): 503, never the stale-connection re-send.
	endpointRemoved
)

// forward sends the request upstream (retrying as the route allows) and
// relays the response; at is the time of the first attempt (later ones
// read the clock).
func (h *h1conn) forward(start, at time.Time, route *router.Route, cluster *upstream.Cluster, replayable bool) bool {
	var deadline time.Time
	if route.Timeout > 0 {
		deadline = start.Add(route.Timeout)
	}
	dyn := h.traceHeaders()
	retry := route.Retry
	attempts, staleRetried := 0, false
	// A retry stays in the cluster's retry count until the attempt it
	// makes is over (Envoy's accounting): released at the next decision or
	// when the request ends.
	hold := &h.hold
	defer hold.Release()
	var (
		uc *upstream.Conn
		ep *upstream.Endpoint
	)
	var triedBuf [4]*upstream.Endpoint // the hosts tried, for previous_hosts
	tried := triedBuf[:0]
	for try := 0; ; try++ {
		attempts++
		now := at
		if try > 0 {
			now = time.Now()
		}
		if attempts > 1 {
			ep = cluster.PickRetry(now, retry, tried)
		} else {
			ep = cluster.Pick(now)
		}
		if ep == nil {
			return h.finishLocal(start, cluster, 503, "no healthy upstream\n", "no_healthy_upstream")
		}
		tryDeadline := deadline
		if retry != nil && retry.PerTryTimeout > 0 {
			if t := now.Add(retry.PerTryTimeout); tryDeadline.IsZero() || t.Before(tryDeadline) {
				tryDeadline = t
			}
		}
		tried = append(tried, ep)
		ep.Host.Begin()
		var reused bool
		var out outcome
		uc, reused, out = h.attempt(cluster, ep, now, tryDeadline, replayable, route.ReqEdits, dyn)
		if out == gotResponse {
			status := h.resp.Status
			if replayable && attempts <= retryCount(route) && retry.RetryStatus(status) && hold.Acquire(cluster.Breakers) {
				cluster.Outlier.Record(ep.Host, status, now.UnixNano())
				h.dropResponse(cluster, uc, tryDeadline)
				ep.Host.End()
				h.p.metrics.Retries.WithLabelValues(cluster.Name).Inc()
				time.Sleep(retry.Backoff(attempts))
				continue
			}
			cluster.Outlier.Record(ep.Host, status, now.UnixNano())
			break
		}
		ep.Host.End()
		switch out {
		case downstreamGone:
			return false
		case badBody:
			h.localReply(400, "Bad Request", "malformed request body\n", true, "bad_request")
			h.lingerClose()
			return false
		case overflowed:
			h.p.metrics.Overflows.WithLabelValues(cluster.Name, "max_pending").Inc()
			return h.finishLocal(start, cluster, 503, "upstream overflow\n", "overflow")
		case resetBeforeResponse:
			if reused && replayable && !staleRetried && idempotent(h.req) {
				// A pooled connection the upstream had closed: retry once
				// on a fresh connection, as net/http does; not a retry.
				// Only for requests safe to repeat: the upstream may have
				// acted on a POST before the connection broke.
				staleRetried = true
				attempts--
				continue
			}
		}
		switch out {
		case timedOut: // Envoy's LocalOriginTimeout, counted as its timeout code
			cluster.Outlier.Record(ep.Host, http.StatusGatewayTimeout, now.UnixNano())
		case endpointRemoved: // the proxy closed it: not the host's failure
		default:
			cluster.Outlier.Record(ep.Host, 0, now.UnixNano())
		}
		// A removed endpoint's connection was closed under the request: a
		// reset, as Envoy counts a connection it closes, for retry_on.
		canRetry := replayable && attempts <= retryCount(route) &&
			((out == connectFailed && retry.RetryConnectFailure()) ||
				((out == resetBeforeResponse || out == endpointRemoved) && retry.RetryReset()) ||
				// A per-try timeout (not the route's) is retried as Envoy
				// does under 5xx, gateway-error and reset; with no route
				// timeout (deadline zero) nothing else bounds the request.
				(out == timedOut && retry.RetryReset() && retry.PerTryTimeout > 0 && (deadline.IsZero() || time.Now().Before(deadline))))
		if canRetry && hold.Acquire(cluster.Breakers) {
			h.p.metrics.Retries.WithLabelValues(cluster.Name).Inc()
			time.Sleep(retry.Backoff(attempts))
			continue
		}
		switch out {
		case timedOut:
			return h.finishLocal(start, cluster, 504, "upstream request timeout\n", "upstream_timeout")
		case connectFailed:
			return h.finishLocal(start, cluster, 503, "upstream connect error\n", "upstream_connect_failure")
		case protocolError:
			return h.finishLocal(start, cluster, 502, "upstream protocol error\n", "upstream_protocol_error")
		case endpointRemoved:
			return h.finishLocal(start, cluster, 503, "upstream endpoint removed\n", "upstream_endpoint_removed")
		default:
			return h.finishLocal(start, cluster, 503, "upstream reset before response\n", "upstream_reset")
		}
	}
	keep := h.relayResponse(start, route, cluster, uc, ep, deadline)
	ep.Host.End()
	return keep
}

func retryCount(r *router.Route) int {
	if r.Retry == nil {
		return 0
	}
	return r.Retry.NumRetries
}

// attempt sends the request on one upstream connection and reads the
// response head into h.resp (skipping 1xx interim responses).
func (h *h1conn) attempt(cluster *upstream.Cluster, ep *upstream.Endpoint, now, deadline time.Time, replayable bool, edits *http1.Edits, dyn []http1.Dyn) (*upstream.Conn, bool, outcome) {
	get := cluster.Get
	if replayable {
		// The whole request is written before anything is sent, so the
		// pooled connection's probe can go with the send (upstream.Conn.Send).
		get = cluster.Take
	}
	uc, reused, err := get(ep, now, deadline)
	if err != nil {
		switch {
		case errors.Is(err, upstream.ErrOverflow):
			return nil, false, overflowed
		case errors.Is(err, upstream.ErrEndpointRemoved):
			return nil, false, endpointRemoved
		}
		return nil, false, connectFailed
	}
	if !deadline.IsZero() {
		_ = uc.SetDeadline(deadline)
	}
	http1.WriteRequestHead(uc.BW, h.req, edits, dyn)
	if replayable {
		_, _ = uc.BW.Write(h.body)
	} else {
		var err error
		h.bodyDone = true
		if h.req.Chunked {
			h.scr, err = http1.CopyChunked(uc.BW, h.br, h.scr)
		} else {
			err = http1.CopyN(uc.BW, h.br, h.req.ContentLength)
		}
		if err != nil {
			// The upstream connection carries a partial request: never reuse it.
			cluster.Discard(uc)
			if errors.Is(err, http1.ErrMalformed) || errors.Is(err, http1.ErrHeadTooLarge) {
				return nil, false, badBody
			}
			return nil, false, downstreamGone
		}
	}
	if err := uc.Send(); err != nil {
		cluster.Discard(uc)
		if uc.Removed() {
			return nil, reused, endpointRemoved
		}
		if errors.Is(err, upstream.ErrStale) {
			// Nothing was sent: the pooled connection had unsolicited
			// bytes or was closed. Another connection, as Get would
			// have skipped this one.
			return h.attempt(cluster, ep, now, deadline, replayable, edits, dyn)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The try's deadline passed before the request was out (a
			// connect that took the per-try time, a stalled machine): a
			// timeout, as when it passes waiting for the answer (504,
			// retried as one, counted by outlier detection as a 504),
			// never "upstream reset before response".
			return nil, reused, timedOut
		}
		return nil, reused, resetBeforeResponse
	}
	for {
		if err := h.resp.Read(uc.BR); err != nil {
			cluster.Discard(uc)
			switch {
			case uc.Removed():
				return nil, reused, endpointRemoved
			case errors.Is(err, os.ErrDeadlineExceeded):
				return nil, reused, timedOut
			case errors.Is(err, http1.ErrMalformed) || errors.Is(err, http1.ErrHeadTooLarge):
				return nil, reused, protocolError
			}
			return nil, reused, resetBeforeResponse
		}
		if h.resp.Status >= 200 || h.resp.Status == 101 {
			return uc, reused, gotResponse
		}
	}
}

// dropResponse discards a response that will be retried.
func (h *h1conn) dropResponse(cluster *upstream.Cluster, uc *upstream.Conn, deadline time.Time) {
	n := h.resp.BodyLength(isHead(h.req.Method))
	var err error
	if n == http1.UntilClose || n > maxBufferedBody {
		cluster.Discard(uc)
		return
	}
	h.scr, err = http1.DiscardBody(uc.BR, n, h.scr)
	if err != nil || h.resp.Close {
		cluster.Discard(uc)
		return
	}
	if !deadline.IsZero() {
		_ = uc.SetDeadline(time.Time{})
	}
	cluster.Put(uc, time.Now())
}

func isHead(m []byte) bool { return string(m) == "HEAD" }

// idempotent: the requests Go's Transport re-sends after a stale pooled
// connection fails (GET, HEAD, OPTIONS, TRACE, or an Idempotency-Key).
func idempotent(r *http1.Request) bool {
	if replayableMethod(string(r.Method)) {
		return true
	}
	_, k1 := r.Get("idempotency-key")
	_, k2 := r.Get("x-idempotency-key")
	return k1 || k2
}

func replayableMethod(m string) bool {
	return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE"
}

// relayResponse copies the response head and body downstream, returns the
// upstream connection to its pool when reusable, and records telemetry.
func (h *h1conn) relayResponse(start time.Time, route *router.Route, cluster *upstream.Cluster, uc *upstream.Conn, ep *upstream.Endpoint, deadline time.Time) bool {
	resp := h.resp
	n := resp.BodyLength(isHead(h.req.Method))
	// An HTTP/1.0 client cannot read chunked framing: the body goes
	// de-chunked, delimited by closing the connection.
	dechunk := n == http1.ChunkedBody && h.req.Minor == 0
	if dechunk && !resp.PlainChunked {
		// gzip, chunked: the gzip transfer coding has no HTTP/1.0 form.
		cluster.Discard(uc)
		return h.finishLocal(start, cluster, 502, "upstream transfer coding not representable in HTTP/1.0\n", "upstream_protocol_error")
	}
	closing := h.req.Close || n == http1.UntilClose || dechunk
	http1.WriteResponseHead(h.bw, resp, route.RespEdits, closing, h.req.Minor == 0 && !closing, dechunk)
	closing = closing || resp.Status == 101
	var err error
	switch {
	case resp.Status == 101:
		// Upgrade accepted (WebSocket): relay both ways until either ends,
		// or no byte has moved for stream_idle_timeout: an upgraded stream
		// is still a stream to Envoy, so that timeout (5 min unset, 0 none)
		// closes an idle tunnel, both sides at once.
		if err = h.bw.Flush(); err == nil {
			h.tc.setLimits(&config.Limits{IdleTimeout: h.chain.HTTP.StreamIdleTimeout})
			h.tc.setState(connIdle)
			tunnelIdle(h.c, h.br, uc.Conn, uc.BR, &h.tc.connTimers)
		}
		cluster.Discard(uc)
		h.observe(start, time.Now(), cluster, ep, 101, 0)
		return false
	case n >= 0:
		err = http1.CopyN(h.bw, uc.BR, n)
	case dechunk:
		h.scr, err = http1.Dechunk(h.bw, uc.BR, h.scr)
	case n == http1.ChunkedBody:
		h.scr, err = http1.CopyChunked(h.bw, uc.BR, h.scr)
	default:
		err = http1.CopyUntilEOF(h.bw, uc.BR)
	}
	if err == nil {
		err = h.bw.Flush()
	}
	end := time.Now() // one clock read for the pool's idle stamp and the request's duration
	if err != nil || resp.Close || n == http1.UntilClose {
		cluster.Discard(uc)
	} else {
		if !deadline.IsZero() {
			_ = uc.SetDeadline(time.Time{})
		}
		cluster.Put(uc, end)
	}
	h.observe(start, end, cluster, ep, resp.Status, max(n, 0))
	return err == nil && !closing
}

func (h *h1conn) finishLocal(start time.Time, cluster *upstream.Cluster, status int, body, why string) bool {
	keep := h.localReply(status, "Upstream Error", body, false, why)
	h.observe(start, time.Now(), cluster, nil, status, int64(len(body)))
	return keep
}

// observe records one request that ran from start to end.
func (h *h1conn) observe(start, end time.Time, cluster *upstream.Cluster, ep *upstream.Endpoint, status int, respBytes int64) {
	d := end.Sub(start)
	reqBytes := max(h.req.ContentLength, 0)
	h.seriesOf(cluster).Observe(status, d, reqBytes, respBytes)
	if t := h.chain.HTTP.Tracing; t != nil && h.trace.Hop().Sampled {
		up := ""
		if ep != nil {
			up = ep.Host.Addr
		}
		h.p.recordSpan(t, h.trace.Hop(), h.listener.Direction, &telemetry.Span{Start: start, End: end,
			Method: string(h.req.Method), Path: string(h.req.Target), Authority: string(h.req.Host), Protocol: "HTTP/1.1",
			Status: status, Cluster: cluster.Name, Upstream: up, Peer: h.peer})
	}
	if hc := h.chain.HTTP; hc.AccessLogFraction > 0 {
		al := h.p.accessLog(hc.AccessLogFraction)
		if al.Sampled() {
			up := ""
			if ep != nil {
				up = ep.Host.Addr
			}
			tid := ""
			if h.dyn[0].Value != nil {
				tid = string(h.trace.TraceID())
			}
			al.Write(&telemetry.Entry{Listener: h.listener.Name, Protocol: "HTTP/1.1", Method: string(h.req.Method),
				Path: string(h.req.Target), Authority: string(h.req.Host), Source: h.source, Cluster: cluster.Name,
				Upstream: up, Status: status, ReqBytes: reqBytes, RespBytes: respBytes, Duration: d, TraceID: tid})
		}
	}
}
