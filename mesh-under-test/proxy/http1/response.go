package http1

import (
	"bufio"
	"bytes"
	"fmt"
)

// Response is a parsed response head. Reuse one per upstream exchange.
type Response struct {
	head
	Status int
	// Reason is the reason phrase, possibly empty.
	Reason []byte
	// PlainChunked: the transfer coding is chunked alone (a gzip, chunked
	// body cannot be de-chunked for an HTTP/1.0 client).
	PlainChunked bool
}

// NewResponse returns a Response with buffers sized for typical heads.
func NewResponse() *Response {
	r := &Response{}
	r.buf = make([]byte, 0, 512)
	r.Fields = make([]Field, 0, 16)
	return r
}

// Read parses the next response head from br. A Transfer-Encoding that
// does not end in chunked is refused (ErrMalformed) rather than read until
// close; with chunked, a Content-Length is ignored and not forwarded
// (RFC 9112 6.3).
func (r *Response) Read(br *bufio.Reader) error {
	r.reset()
	r.Status, r.Reason, r.PlainChunked = 0, nil, false
	line, err := r.readLine(br)
	if err != nil {
		return err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
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
	if err := r.finish(); err != nil {
		return err
	}
	if r.teFields > 0 {
		ok, only := chunkedLast(r.TE)
		if !ok {
			return fmt.Errorf("%w: transfer-encoding %q", ErrMalformed, r.TE)
		}
		r.Chunked, r.PlainChunked, r.ContentLength = true, only, -1
		for i := range r.Fields {
			if EqualFold(r.Fields[i].Name, "content-length") {
				r.Fields[i].Hop = true
			}
		}
	}
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
