package grpcwire

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// request builds a call's POST: gRPC's headers, the deadline as
// grpc-timeout, the per-call headers.
func (c *Conn) request(ctx context.Context, method, subtype string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.scheme+"://"+c.o.Addr+method, body)
	if err != nil {
		return nil, fmt.Errorf("grpcwire: method %q: %w", method, err)
	}
	ct := "application/grpc"
	if subtype != "" {
		ct += "+" + subtype
	}
	h := req.Header
	h.Set("content-type", ct)
	h.Set("te", "trailers")
	if c.o.UserAgent != "" {
		h.Set("user-agent", c.o.UserAgent)
	}
	if d, ok := ctx.Deadline(); ok {
		h.Set("grpc-timeout", timeout(time.Until(d)))
	}
	for _, kv := range callHeaders(ctx) {
		h.Set(kv[0], kv[1])
	}
	if c.o.Header != nil {
		extra, err := c.o.Header()
		if err != nil {
			return nil, err
		}
		for k, v := range extra {
			h.Set(k, v)
		}
	}
	return req, nil
}

type headerKey struct{}

// WithHeader returns ctx carrying one more header for the calls made with
// it (grpc-go's outgoing metadata), e.g. a bearer token for one call.
func WithHeader(ctx context.Context, key, value string) context.Context {
	prev := callHeaders(ctx)
	kvs := append(prev[:len(prev):len(prev)], [2]string{key, value})
	return context.WithValue(ctx, headerKey{}, kvs)
}

func callHeaders(ctx context.Context) [][2]string {
	kvs, _ := ctx.Value(headerKey{}).([][2]string)
	return kvs
}

// timeout renders grpc-timeout: at most 8 digits and a unit.
func timeout(d time.Duration) string {
	ms := max(d.Milliseconds(), 1)
	if ms < 1e8 {
		return strconv.FormatInt(ms, 10) + "m"
	}
	return strconv.FormatInt(min(ms/1000, 1e8-1), 10) + "S"
}

// Invoke makes a unary call: req is the encoded request message (in the
// codec content-subtype names, "" for protobuf), the result the encoded
// response message.
func (c *Conn) Invoke(ctx context.Context, method, subtype string, req []byte) ([]byte, error) {
	cc, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	hreq, err := c.request(ctx, method, subtype, bytes.NewReader(frame(req)))
	if err != nil {
		return nil, err
	}
	hreq.ContentLength = int64(len(req) + prefixLen)
	resp, err := cc.RoundTrip(hreq)
	if err != nil {
		return nil, fmt.Errorf("grpcwire: %s: %w", method, err)
	}
	defer resp.Body.Close()
	r := reader{resp: resp, max: c.o.MaxMessageBytes, method: method}
	if err := r.check(); err != nil {
		return nil, err
	}
	msg, err := r.next()
	if err == io.EOF {
		return nil, fmt.Errorf("grpcwire: %s: the server ended the call without a response message", method)
	}
	if err != nil {
		return nil, err
	}
	if _, err := r.next(); err != io.EOF {
		if err == nil {
			return nil, fmt.Errorf("grpcwire: %s: more than one response message to a unary call", method)
		}
		return nil, err
	}
	return msg, nil
}

// check refuses a response that is not gRPC's: an HTTP status other than
// 200, a content-type other than application/grpc[+...].
func (r *reader) check() error {
	resp := r.resp
	ct := resp.Header.Get("content-type")
	if resp.StatusCode != http.StatusOK {
		if st := r.status(); st != nil {
			return st
		}
		return fmt.Errorf("grpcwire: %s: HTTP status %d (content-type %q): not a gRPC answer", r.method, resp.StatusCode, ct)
	}
	if ct != "application/grpc" && !strings.HasPrefix(ct, "application/grpc+") && !strings.HasPrefix(ct, "application/grpc;") {
		return fmt.Errorf("grpcwire: %s: content-type %q: not a gRPC answer", r.method, ct)
	}
	return nil
}
