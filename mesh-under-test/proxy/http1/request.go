package http1

import (
	"bufio"
	"bytes"
	"fmt"
)

// Request is a parsed request head. Reuse one per connection.
type Request struct {
	head
	Method, Target []byte
	Host           []byte
	Expect100      bool
}

// NewRequest returns a Request with buffers sized for typical heads.
func NewRequest() *Request {
	r := &Request{}
	r.buf = make([]byte, 0, 1024)
	r.Fields = make([]Field, 0, 16)
	return r
}

// Read parses the next request head from br. It returns io.EOF when the
// peer closed the connection cleanly between requests.
func (r *Request) Read(br *bufio.Reader) error {
	r.reset()
	r.Method, r.Target, r.Host, r.Expect100 = nil, nil, nil, false
	line, err := r.readLine(br)
	for err == nil && len(line) == 0 { // RFC 9112 2.2: ignore leading CRLFs
		line, err = r.readLine(br)
	}
	if err != nil {
		return err
	}
	sp1 := indexByte(line, ' ')
	if sp1 <= 0 {
		return fmt.Errorf("%w: request line %q", ErrMalformed, line)
	}
	rest := line[sp1+1:]
	sp2 := bytes.LastIndexByte(rest, ' ')
	if sp2 <= 0 {
		return fmt.Errorf("%w: request line %q", ErrMalformed, line)
	}
	r.Method, r.Target = line[:sp1], rest[:sp2]
	switch string(rest[sp2+1:]) {
	case "HTTP/1.1":
		r.Minor = 1
	case "HTTP/1.0":
		r.Minor = 0
	default:
		return fmt.Errorf("%w: version %q", ErrMalformed, rest[sp2+1:])
	}
	if err := r.readFields(br); err != nil {
		return err
	}
	for i := range r.Fields {
		f := &r.Fields[i]
		switch len(f.Name) {
		case 4:
			if r.Host == nil && EqualFold(f.Name, "host") {
				r.Host = f.Value
			}
		case 6:
			if EqualFold(f.Name, "expect") && EqualFold(f.Value, "100-continue") {
				r.Expect100, f.Hop = true, true
			}
		}
	}
	r.finish()
	return nil
}

// Path returns the request target without its query string.
func (r *Request) Path() []byte {
	if i := indexByte(r.Target, '?'); i >= 0 {
		return r.Target[:i]
	}
	return r.Target
}

// HasBody reports whether a body follows the head.
func (r *Request) HasBody() bool { return r.Chunked || r.ContentLength > 0 }

// Response is a parsed response head. Reuse one per upstream exchange.
type Response struct {
	head
	Status int
	// Reason is the reason phrase, possibly empty.
	Reason []byte
}

// NewResponse returns a Response with buffers sized for typical heads.
func NewResponse() *Response {
	r := &Response{}
	r.buf = make([]byte, 0, 512)
	r.Fields = make([]Field, 0, 16)
	return r
}

// Read parses the next response head from br.
func (r *Response) Read(br *bufio.Reader) error {
	r.reset()
	r.Status, r.Reason = 0, nil
	line, err := r.readLine(br)
	if err != nil {
		return err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return fmt.Errorf("%w: status line %q", ErrMalformed, line)
	}
	r.Minor = int(line[7] - '0')
	code, ok := parseUint(line[9:12])
	if !ok || code < 100 || code > 999 {
		return fmt.Errorf("%w: status line %q", ErrMalformed, line)
	}
	r.Status = int(code)
	if len(line) > 13 {
		r.Reason = line[13:]
	}
	if err := r.readFields(br); err != nil {
		return err
	}
	r.finish()
	return nil
}

// BodyLength says how the body of this response is delimited: n >= 0 bytes,
// Chunked, or -1 meaning until the upstream closes. headRequest is whether
// the request was HEAD (RFC 9112 6.3).
func (r *Response) BodyLength(headRequest bool) int64 {
	if headRequest || r.Status < 200 || r.Status == 204 || r.Status == 304 {
		return 0
	}
	if r.Chunked {
		return -2
	}
	return r.ContentLength
}

// Body length sentinels returned by BodyLength.
const (
	UntilClose  int64 = -1
	ChunkedBody int64 = -2
)
