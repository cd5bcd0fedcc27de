package dataplane

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/router"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

// h2MaxReadFrame is the SETTINGS_MAX_FRAME_SIZE the x/net/http2 server
// advertises: 16 KB, the protocol's default and what Envoy (nghttp2) and the
// lean path (fastMaxFrame) advertise, instead of x/net/http2's 1 MB. A Go
// http2.Transport sizes the scratch buffer it copies each request body
// through by the peer's frame size when the body's length is unknown, as
// for every gRPC call: 512 KB per stream against 1 MB, taken from a pool the
// GC empties, so a client-side proxy forwarding gRPC to a server-side one
// kept megabytes of them (measured: 0.8 MB in use in one heap profile at
// 1000 rps over 16 connections).
const h2MaxReadFrame = 16 << 10

// serveH2 serves an HTTP/2 connection (h2c prior knowledge or TLS ALPN h2).
// Upstream traffic is HTTP/2 too (Envoy's USE_DOWNSTREAM_PROTOCOL), which is
// what gRPC needs.
func (p *Proxy) serveH2(bl *boundListener, chain *config.Chain, tc *trackedConn, c net.Conn, br *bufio.Reader, peer string) {
	if chain.HTTP == nil {
		return
	}
	source := p.h2Source(bl, peer)
	s := &h2conn{p: p, bl: bl, peer: peer, source: source, tls: chain.TLS != nil, tc: tc}
	// Idle while no stream is open (Envoy's idle_timeout for HTTP/2): a
	// client that sends the preface and then nothing, or a header block it
	// never finishes (no stream exists until it ends), is cut by the
	// sweeper after the HCM's idle_timeout.
	tc.setLimits(&chain.HTTP.Limits)
	tc.setState(connIdle)
	p.h2srv.ServeConn(&prefixConn{Conn: c, r: br}, &http2.ServeConnOpts{
		Context: context.Background(), Handler: s, BaseConfig: p.h2base})
}

// h2Source is the source label of an HTTP/2 connection's metrics: this
// proxy outbound, the peer's identity inbound.
func (p *Proxy) h2Source(bl *boundListener, peer string) string {
	if bl.cfg.Load().Direction != config.Inbound {
		return p.opts.ID
	}
	if peer == "" {
		return "unknown"
	}
	return peer
}

type h2conn struct {
	p      *Proxy
	bl     *boundListener
	peer   string
	source string
	tls    bool
	tc     *trackedConn

	mu      sync.Mutex // orders the open-stream count with the state it sets
	streams int
}

// streamStarted and streamEnded keep the connection busy while a stream
// is open and idle otherwise, for the sweeper.
func (s *h2conn) streamStarted() {
	s.mu.Lock()
	if s.streams++; s.streams == 1 {
		s.tc.setState(connBusy)
	}
	s.mu.Unlock()
}

func (s *h2conn) streamEnded() {
	s.mu.Lock()
	if s.streams--; s.streams == 0 {
		s.tc.setState(connIdle)
		if s.tc.plaintextRefused() {
			s.tc.wakeIfIdle() // drained: the last stream has ended
		}
	}
	s.mu.Unlock()
}

type h2Headers struct{ h http.Header }

// Get returns every value of the field joined with ",", as Envoy's
// matchers read a repeated header (a rule cannot be dodged by sending a
// field twice).
func (x h2Headers) Get(name string) ([]byte, bool) {
	v := x.h.Values(name)
	switch len(v) {
	case 0:
		return nil, false
	case 1:
		return match.BytesOf(v[0]), true
	}
	return []byte(strings.Join(v, ",")), true
}

func isGRPC(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc")
}

// grpcStatus maps an HTTP status to a gRPC code, as Envoy does for local
// replies to gRPC requests.
func grpcStatus(status int) int {
	switch status {
	case 400:
		return 13
	case 401:
		return 16
	case 403:
		return 7
	case 404:
		return 12
	case 429, 502, 503, 504:
		return 14
	}
	return 2
}

func (s *h2conn) local(w http.ResponseWriter, r *http.Request, status int, body, why string) {
	s.p.metrics.LocalReply(why)
	if isGRPC(r) {
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Grpc-Status", strconv.Itoa(grpcStatus(status)))
		w.Header().Set("Grpc-Message", strings.TrimSpace(body))
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (s *h2conn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.streamStarted()
	defer s.streamEnded()
	start := time.Now()
	lc := s.bl.cfg.Load()
	chain := lc.ChainFor(s.tls)
	if s.tc.plaintextRefused() {
		s.local(w, r, 503, "plaintext no longer accepted\n", "plaintext_refused")
		return
	}
	if chain == nil || chain.HTTP == nil {
		s.local(w, r, 503, "listener changed\n", "no_chain")
		return
	}
	hc := chain.HTTP
	a := &match.Attrs{Authority: match.BytesOf(r.Host), Path: match.BytesOf(r.RequestURI),
		Method: match.BytesOf(r.Method), Headers: h2Headers{r.Header}, Principal: s.peer}
	ad, _ := s.p.admit(hc, a, nil, nil, start)
	if ad.status > 0 {
		s.local(w, r, ad.status, ad.body, ad.why)
		return
	}
	if string(ad.target) != r.RequestURI { // normalised: forward what was authorized
		if err := setTarget(r, string(ad.target)); err != nil {
			s.local(w, r, 400, "invalid path\n", "invalid_path")
			return
		}
	}
	if d := hc.StreamIdleTimeout; d > 0 && r.Body != nil && r.Body != http.NoBody {
		ib := newIdleBody(r.Body, w, d)
		defer ib.stop()
		r.Body = ib
	}
	route, cluster := ad.route, ad.cluster
	defer cluster.Breakers.ReleaseRequest()
	var status int
	var respBytes int64
	var tr telemetry.Trace
	setTrace(&tr, r, hc)
	if cluster.Protocol == upstream.ProtoHTTP1 && !isGRPC(r) {
		status, respBytes = s.forwardH1(w, r, route, cluster, hc, start)
	} else {
		status, respBytes = s.forward(w, r, route, cluster, hc, start)
	}
	series := s.p.metrics.Series(lc.Direction, s.source, cluster.Name)
	series.Observe(status, time.Since(start), max(r.ContentLength, 0), respBytes)
	if t := hc.Tracing; t != nil && tr.Hop().Sampled {
		s.p.recordSpan(t, tr.Hop(), lc.Direction, &telemetry.Span{Start: start, Method: r.Method, Path: r.RequestURI,
			Authority: r.Host, Protocol: r.Proto, Status: status, Cluster: cluster.Name, Peer: s.peer})
	}
	if hc.AccessLogFraction > 0 {
		if al := s.p.accessLog(hc.AccessLogFraction); al.Sampled() {
			al.Write(&telemetry.Entry{Listener: lc.Name, Protocol: r.Proto, Method: r.Method, Path: r.RequestURI,
				Authority: r.Host, Source: s.source, Cluster: cluster.Name, Status: status,
				ReqBytes: max(r.ContentLength, 0), RespBytes: respBytes, Duration: time.Since(start)})
		}
	}
}

// setTarget replaces the request's target (path and query) with the
// normalised one, for both upstream protocols.
func setTarget(r *http.Request, target string) error {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return err
	}
	r.RequestURI, r.URL.Path, r.URL.RawPath, r.URL.RawQuery = target, u.Path, u.RawPath, u.RawQuery
	return nil
}

// hopHeaders are never forwarded (RFC 9113 8.2.2); "te: trailers" is the
// exception gRPC needs, handled below.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade"}

func (s *h2conn) forward(w http.ResponseWriter, r *http.Request, route *router.Route, cluster *upstream.Cluster, hc *config.HTTP, start time.Time) (int, int64) {
	ctx := r.Context()
	if route.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, start.Add(route.Timeout))
		defer cancel()
	}
	out := r.Clone(ctx)
	out.RequestURI = ""
	out.URL.Scheme = "http"
	for _, k := range hopHeaders {
		out.Header.Del(k)
	}
	if te := r.Header.Get("Te"); te != "" && te != "trailers" {
		out.Header.Del("Te")
	}
	applyEdits(out.Header, route.ReqEdits)
	bodiless := r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody
	var body *replayBody // a body a retry may send again (h2replay.go)
	if bodiless {
		out.Body = http.NoBody
	} else if route.Retry != nil {
		body = newReplayBody(r.Body, route.Retry.BodyLimit(), func() {
			s.p.metrics.RetriesAbandoned.WithLabelValues(cluster.Name).Inc()
		})
	}
	grpc := isGRPC(r)
	var resp *http.Response
	var err error
	var hold resilience.RetryHold // a retry counts until its attempt is over (h1forward)
	defer hold.Release()
	var triedBuf [4]*upstream.Endpoint // the hosts tried, for previous_hosts
	tried := triedBuf[:0]
	for attempt := 1; ; attempt++ {
		var ep *upstream.Endpoint
		if attempt > 1 {
			ep = cluster.PickRetry(time.Now(), route.Retry, tried)
		} else {
			ep = cluster.Pick(time.Now())
		}
		if ep == nil {
			s.local(w, r, 503, "no healthy upstream\n", "no_healthy_upstream")
			return 503, 0
		}
		tried = append(tried, ep)
		out.URL.Host = ep.Host.Addr
		if body != nil {
			v, ok := body.view()
			if !ok { // outgrew the buffer during the backoff: Envoy's answer
				s.local(w, r, 507, "exceeded request buffer limit while retrying upstream\n", "retry_buffer_overflow")
				return 507, 0
			}
			out.Body = v
			// x/net/http2 sends a refused stream (REFUSED_STREAM, GOAWAY)
			// again by itself when it can reset the body.
			out.GetBody = func() (io.ReadCloser, error) {
				if v, ok := body.view(); ok {
					return v, nil
				}
				return nil, errors.New("request body outgrew the retry buffer")
			}
		}
		ep.Host.Begin()
		var cancel context.CancelFunc
		var perTryOut bool
		resp, cancel, perTryOut, err = roundTripTry(cluster, out, route.Retry)
		ep.Host.End()
		status := 0
		if err == nil {
			status = resp.StatusCode
		}
		cluster.Outlier.Record(ep.Host, outlierStatus(status, err, perTryOut, resp, grpc), time.Now().UnixNano())
		replayable := bodiless || body != nil && body.replayable()
		retry := replayable && attempt <= retryCount(route) && ctx.Err() == nil && retryH2(route.Retry, status, err, perTryOut, resp, grpc)
		if !retry || !hold.Acquire(cluster.Breakers) {
			defer cancel() // the answer's body is read under it
			break
		}
		if resp != nil {
			_ = resp.Body.Close()
		}
		cancel()
		if body != nil {
			body.stop()
		}
		s.p.metrics.Retries.WithLabelValues(cluster.Name).Inc()
		time.Sleep(route.Retry.Backoff(attempt))
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errPerTryTimeout) {
			s.local(w, r, 504, "upstream request timeout\n", "upstream_timeout")
			return 504, 0
		}
		s.local(w, r, 503, "upstream connect error or reset\n", "upstream_reset")
		return 503, 0
	}
	defer resp.Body.Close()
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
	applyEdits(h, route.RespEdits)
	w.WriteHeader(resp.StatusCode)
	// Flush per read only for streams (gRPC, unknown length): a sized body
	// goes out with END_STREAM in one write when the handler returns.
	n, _ := copyFlush(w, resp.Body, resp.ContentLength < 0 || isGRPC(r))
	for k, v := range resp.Trailer {
		h[http.TrailerPrefix+k] = v
	}
	return resp.StatusCode, n
}

// setTrace decides this hop's span context (tr.Hop) and rewrites the
// request's trace headers to what goes upstream, before either forwarder
// copies them.
func setTrace(tr *telemetry.Trace, r *http.Request, hc *config.HTTP) {
	tr.Generate = hc.GenerateTraces
	if hc.Tracing != nil {
		tr.Sampling = hc.Tracing.Sampling
	}
	h := r.Header
	tp, span, parent := tr.Propagate(match.BytesOf(h.Get("Traceparent")), match.BytesOf(h.Get("X-B3-Traceid")),
		match.BytesOf(h.Get("X-B3-Spanid")), match.BytesOf(h.Get("X-B3-Sampled")))
	if tp != nil {
		h.Set("Traceparent", string(tp))
	}
	if span != nil {
		h.Set("X-B3-Spanid", string(span))
		h.Set("X-B3-Parentspanid", string(parent))
	}
}

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyFlush streams body to w, flushing after every read when asked so
// gRPC streams and server-sent events are not held back.
func copyFlush(w http.ResponseWriter, body io.Reader, flush bool) (int64, error) {
	bp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bp)
	buf := *bp
	var f http.Flusher
	if flush {
		f, _ = w.(http.Flusher)
	}
	var n int64
	for {
		m, err := body.Read(buf)
		if m > 0 {
			if _, werr := w.Write(buf[:m]); werr != nil {
				return n, werr
			}
			n += int64(m)
			if f != nil {
				f.Flush()
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
	}
}

func applyEdits(h http.Header, e *http1.Edits) {
	if e == nil {
		return
	}
	for _, k := range e.Remove {
		h.Del(k)
	}
	for _, kv := range e.Set {
		h.Set(kv.Name, kv.Value)
	}
	for _, kv := range e.Append {
		h.Add(kv.Name, kv.Value)
	}
	for _, kv := range e.AddIfAbsent {
		if h.Get(kv.Name) == "" {
			h.Set(kv.Name, kv.Value)
		}
	}
}
