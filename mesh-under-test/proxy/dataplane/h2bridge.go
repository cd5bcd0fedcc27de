package dataplane

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/router"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

var respPool = sync.Pool{New: func() any { return http1.NewResponse() }}

// forwardH1 relays an HTTP/2 request to an HTTP/1.1 upstream over the
// pooled connections of the fast path. This is Envoy's default for a
// cluster without http2_protocol_options, and much cheaper than a second
// HTTP/2 leg: no client-side stream goroutines, and the next sidecar gets
// its HTTP/1.1 fast path. gRPC never takes this path (it needs trailers).
func (s *h2conn) forwardH1(w http.ResponseWriter, r *http.Request, route *router.Route, cluster *upstream.Cluster, hc *config.HTTP, start time.Time) (int, int64) {
	if !h1Representable(r) {
		s.local(w, r, 400, "request not representable in HTTP/1.1\n", "bad_request")
		return 400, 0
	}
	var body []byte
	replayable := r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0
	if !replayable && r.ContentLength > 0 && r.ContentLength <= maxBufferedBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, r.ContentLength))
		if err != nil || int64(len(b)) != r.ContentLength {
			s.local(w, r, 400, "short request body\n", "bad_request")
			return 400, 0
		}
		body, replayable = b, true
	}
	hdr := r.Header.Clone()
	for _, k := range hopHeaders {
		hdr.Del(k)
	}
	hdr.Del("Te")
	hdr.Del("Content-Length")
	hdr.Del("Host")
	applyEdits(hdr, route.ReqEdits)
	var deadline time.Time
	if route.Timeout > 0 {
		deadline = start.Add(route.Timeout)
	}
	resp := respPool.Get().(*http1.Response)
	defer respPool.Put(resp)
	stale := false
	var hold resilience.RetryHold
	defer hold.Release()
	var triedBuf [4]*upstream.Endpoint // the hosts tried, for previous_hosts
	tried := triedBuf[:0]
	for attempt := 1; ; attempt++ {
		now := time.Now()
		var ep *upstream.Endpoint
		if attempt > 1 {
			ep = cluster.PickRetry(now, route.Retry, tried)
		} else {
			ep = cluster.Pick(now)
		}
		if ep == nil {
			s.local(w, r, 503, "no healthy upstream\n", "no_healthy_upstream")
			return 503, 0
		}
		tried = append(tried, ep)
		tryDeadline := deadline
		if p := route.Retry; p != nil && p.PerTryTimeout > 0 {
			if t := now.Add(p.PerTryTimeout); tryDeadline.IsZero() || t.Before(tryDeadline) {
				tryDeadline = t
			}
		}
		ep.Host.Begin()
		uc, reused, err := cluster.Get(ep, now, deadline)
		if err != nil {
			ep.Host.End()
			if errors.Is(err, upstream.ErrOverflow) {
				s.local(w, r, 503, "upstream overflow\n", "overflow")
				return 503, 0
			}
			if errors.Is(err, upstream.ErrEndpointRemoved) {
				s.local(w, r, 503, "upstream endpoint removed\n", "upstream_endpoint_removed")
				return 503, 0
			}
			cluster.Outlier.Record(ep.Host, 0, now.UnixNano())
			if replayable && attempt <= retryCount(route) && route.Retry.RetryConnectFailure() && s.retry(&hold, cluster, route, attempt) {
				continue
			}
			s.local(w, r, 503, "upstream connect error\n", "upstream_connect_failure")
			return 503, 0
		}
		if !tryDeadline.IsZero() {
			_ = uc.SetDeadline(tryDeadline)
		}
		err = writeH1Request(uc.BW, r, hdr, body, replayable)
		if err == nil {
			err = readHead(resp, uc.BR)
		}
		if err != nil {
			cluster.Discard(uc)
			ep.Host.End()
			switch {
			case uc.Removed():
				s.local(w, r, 503, "upstream endpoint removed\n", "upstream_endpoint_removed")
				return 503, 0
			case errors.Is(err, os.ErrDeadlineExceeded):
				cluster.Outlier.Record(ep.Host, http.StatusGatewayTimeout, now.UnixNano()) // Envoy's LocalOriginTimeout
				// A per-try timeout (not the route's) is retried as a
				// reset is, as on HTTP/1.1 (h1forward).
				if !tryDeadline.Equal(deadline) && (deadline.IsZero() || time.Now().Before(deadline)) &&
					replayable && attempt <= retryCount(route) && route.Retry.RetryReset() && s.retry(&hold, cluster, route, attempt) {
					continue
				}
				s.local(w, r, 504, "upstream request timeout\n", "upstream_timeout")
				return 504, 0
			case reused && replayable && !stale && (replayableMethod(r.Method) || r.Header.Get("Idempotency-Key") != "" || r.Header.Get("X-Idempotency-Key") != ""):
				// the pooled connection was closed under us; only requests
				// safe to repeat are re-sent (as Go's Transport)
				stale, attempt = true, attempt-1
				continue
			}
			cluster.Outlier.Record(ep.Host, 0, now.UnixNano())
			if replayable && attempt <= retryCount(route) && route.Retry.RetryReset() && s.retry(&hold, cluster, route, attempt) {
				continue
			}
			s.local(w, r, 503, "upstream reset before response\n", "upstream_reset")
			return 503, 0
		}
		cluster.Outlier.Record(ep.Host, resp.Status, now.UnixNano())
		n := resp.BodyLength(r.Method == http.MethodHead)
		if replayable && attempt <= retryCount(route) && route.Retry.RetryStatus(resp.Status) && n >= 0 && n <= maxBufferedBody {
			if _, err := uc.BR.Discard(int(n)); err == nil && !resp.Close {
				_ = uc.SetDeadline(time.Time{})
				cluster.Put(uc, time.Now())
			} else {
				cluster.Discard(uc)
			}
			ep.Host.End()
			if s.retry(&hold, cluster, route, attempt) {
				continue
			}
			s.local(w, r, resp.Status, "upstream error\n", "upstream_reset")
			return resp.Status, 0
		}
		if n == http1.ChunkedBody && !resp.PlainChunked {
			// gzip, chunked: HTTP/2 has no transfer codings to carry gzip.
			cluster.Discard(uc)
			ep.Host.End()
			s.local(w, r, 502, "upstream transfer coding not representable in HTTP/2\n", "upstream_protocol_error")
			return 502, 0
		}
		if !tryDeadline.Equal(deadline) { // the response started: the per-try timeout no longer applies (Envoy)
			_ = uc.SetDeadline(deadline)
		}
		copied, reusable := relayH1Response(w, resp, n, uc.BR, route)
		if reusable {
			if !deadline.IsZero() {
				_ = uc.SetDeadline(time.Time{})
			}
			cluster.Put(uc, time.Now())
		} else {
			cluster.Discard(uc)
		}
		ep.Host.End()
		return resp.Status, copied
	}
}

// retry claims a retry in hold (kept until the retried attempt is over,
// as h1forward does) and sleeps the backoff.
func (s *h2conn) retry(hold *resilience.RetryHold, cluster *upstream.Cluster, route *router.Route, attempt int) bool {
	if !hold.Acquire(cluster.Breakers) {
		return false
	}
	s.p.metrics.Retries.WithLabelValues(cluster.Name).Inc()
	time.Sleep(route.Retry.Backoff(attempt))
	return true
}

func readHead(resp *http1.Response, br *bufio.Reader) error {
	for {
		if err := resp.Read(br); err != nil {
			return err
		}
		if resp.Status >= 200 {
			return nil
		}
	}
}

// h1Representable reports whether an HTTP/2 request can be written as an
// HTTP/1.1 head byte for byte: HTTP/2 allows a space in :path or odd bytes
// in :authority that would split or bend an HTTP/1.1 request line.
func h1Representable(r *http.Request) bool {
	if !http1.ValidMethod(r.Method) || !http1.ValidTarget(r.Method, r.RequestURI) || !http1.ValidHost(r.Host) {
		return false
	}
	for k, vv := range r.Header {
		if !http1.ValidMethod(k) { // a field name is a token, as a method
			return false
		}
		for _, v := range vv {
			if !http1.ValidFieldValue(v) {
				return false
			}
		}
	}
	return true
}

// writeH1Request writes r as HTTP/1.1: the buffered body with its length,
// or the streamed body chunked.
func writeH1Request(bw *bufio.Writer, r *http.Request, hdr http.Header, body []byte, buffered bool) error {
	_, _ = bw.WriteString(r.Method)
	_ = bw.WriteByte(' ')
	_, _ = bw.WriteString(r.RequestURI)
	_, _ = bw.WriteString(" HTTP/1.1\r\nHost: ")
	_, _ = bw.WriteString(r.Host)
	_, _ = bw.WriteString("\r\n")
	for k, vv := range hdr {
		for _, v := range vv {
			_, _ = bw.WriteString(k)
			_, _ = bw.WriteString(": ")
			_, _ = bw.WriteString(v)
			_, _ = bw.WriteString("\r\n")
		}
	}
	if !buffered {
		_, _ = bw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		buf := make([]byte, 16<<10)
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				_, _ = bw.WriteString(strconv.FormatInt(int64(n), 16))
				_, _ = bw.WriteString("\r\n")
				_, _ = bw.Write(buf[:n])
				_, _ = bw.WriteString("\r\n")
				if ferr := bw.Flush(); ferr != nil {
					return ferr
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
		}
		_, _ = bw.WriteString("0\r\n\r\n")
		return bw.Flush()
	}
	if len(body) > 0 || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.WriteString(strconv.Itoa(len(body)))
		_, _ = bw.WriteString("\r\n")
	}
	_, _ = bw.WriteString("\r\n")
	_, _ = bw.Write(body)
	return bw.Flush()
}

// relayH1Response copies an HTTP/1.1 response into the HTTP/2 response
// (chunked bodies are de-chunked, their trailers become HTTP/2 trailers)
// and reports whether the upstream connection can be reused.
func relayH1Response(w http.ResponseWriter, resp *http1.Response, n int64, br *bufio.Reader, route *router.Route) (int64, bool) {
	h := w.Header()
	for i := range resp.Fields {
		f := &resp.Fields[i]
		if f.Hop || http1.EqualFold(f.Name, "content-length") && n < 0 {
			continue
		}
		h.Add(string(f.Name), string(f.Value))
	}
	applyEdits(h, route.RespEdits)
	w.WriteHeader(resp.Status)
	switch {
	case n >= 0:
		copied, err := io.CopyN(w, br, n)
		return copied, err == nil && !resp.Close
	case n == http1.ChunkedBody:
		copied, err := io.Copy(flushWriter{w}, httputil.NewChunkedReader(br))
		if err != nil {
			return copied, false
		}
		// trailer section, up to the empty line, as HTTP/2 trailers
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return copied, false
			}
			line = bytes.TrimRight(line, "\r\n")
			if len(line) == 0 {
				return copied, !resp.Close
			}
			if k, v, ok := bytes.Cut(line, []byte(":")); ok {
				h.Add(http.TrailerPrefix+string(bytes.TrimSpace(k)), string(bytes.TrimSpace(v)))
			}
		}
	default:
		copied, _ := io.Copy(flushWriter{w}, br)
		return copied, false
	}
}

// flushWriter flushes after every write so streamed bodies are not held.
type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}
