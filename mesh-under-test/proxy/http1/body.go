package http1

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// CopyN copies exactly n body bytes from src to dst through src's buffer,
// so a body that arrived with its head costs no extra read. Before src must
// block for more input, dst is flushed, so streamed bodies are not held
// back.
func CopyN(dst *bufio.Writer, src *bufio.Reader, n int64) error {
	for n > 0 {
		if src.Buffered() == 0 {
			if err := dst.Flush(); err != nil {
				return err
			}
			if _, err := src.Peek(1); err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		m := src.Buffered()
		if int64(m) > n {
			m = int(n)
		}
		b, _ := src.Peek(m)
		if _, err := dst.Write(b); err != nil {
			return err
		}
		_, _ = src.Discard(m)
		n -= int64(m)
	}
	return nil
}

// CopyUntilEOF copies src to dst until src ends, flushing as it goes.
func CopyUntilEOF(dst *bufio.Writer, src *bufio.Reader) error {
	for {
		if src.Buffered() == 0 {
			if err := dst.Flush(); err != nil {
				return err
			}
		}
		if _, err := src.Peek(1); err != nil {
			if errors.Is(err, io.EOF) {
				return dst.Flush()
			}
			return err
		}
		b, _ := src.Peek(src.Buffered())
		if _, err := dst.Write(b); err != nil {
			return err
		}
		_, _ = src.Discard(len(b))
	}
}

// CopyChunked relays a chunked body (chunks and trailer section) verbatim
// from src to dst, validating the framing strictly (see copyChunked).
// scratch holds a line and may be nil; the (possibly grown) scratch is
// returned for reuse.
func CopyChunked(dst *bufio.Writer, src *bufio.Reader, scratch []byte) ([]byte, error) {
	return copyChunked(dst, src, scratch, false)
}

// Dechunk copies only the data of a chunked body, for a recipient that
// cannot take chunked framing (an HTTP/1.0 client: the body is then
// delimited by closing the connection). Trailers are dropped.
func Dechunk(dst *bufio.Writer, src *bufio.Reader, scratch []byte) ([]byte, error) {
	return copyChunked(dst, src, scratch, true)
}

// copyChunked validates as RFC 9112 7.1 requires, so that no two parsers
// can disagree on where the body ends: every line ends in CRLF (no bare
// LF), the size is hex digits with optional trailing whitespace, an
// extension holds no control characters (no CR), chunk data is followed
// by CRLF exactly, and trailer lines are well-formed fields.
func copyChunked(dst *bufio.Writer, src *bufio.Reader, scratch []byte, dataOnly bool) ([]byte, error) {
	for {
		line, err := readRawLine(src, scratch[:0])
		scratch = line
		if err != nil {
			return scratch, err
		}
		body, ok := crlfLine(line)
		if !ok {
			return scratch, fmt.Errorf("%w: chunk line %q", ErrMalformed, line)
		}
		size := body
		if i := indexByte(size, ';'); i >= 0 {
			size = size[:i]
		}
		n, ok := parseHex(trimRightOWS(size))
		if !ok {
			return scratch, fmt.Errorf("%w: chunk size %q", ErrMalformed, line)
		}
		if !dataOnly {
			if _, err := dst.Write(line); err != nil {
				return scratch, err
			}
		}
		if n == 0 {
			return copyTrailers(dst, src, scratch, dataOnly)
		}
		if err := CopyN(dst, src, n); err != nil {
			return scratch, err
		}
		crlf, err := src.Peek(2)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return scratch, err
		}
		if crlf[0] != '\r' || crlf[1] != '\n' {
			return scratch, fmt.Errorf("%w: chunk data not followed by CRLF", ErrMalformed)
		}
		if !dataOnly {
			_, _ = dst.Write(crlf)
		}
		_, _ = src.Discard(2)
	}
}

// copyTrailers relays the trailer section up to and including its empty
// line.
func copyTrailers(dst *bufio.Writer, src *bufio.Reader, scratch []byte, dataOnly bool) ([]byte, error) {
	for {
		line, err := readRawLine(src, scratch[:0])
		scratch = line
		if err != nil {
			return scratch, err
		}
		field, ok := crlfLine(line)
		if !ok {
			return scratch, fmt.Errorf("%w: trailer line %q", ErrMalformed, line)
		}
		if len(field) > 0 {
			colon := indexByte(field, ':')
			if colon <= 0 || !isToken(field[:colon]) {
				return scratch, fmt.Errorf("%w: trailer line %q", ErrMalformed, line)
			}
		}
		if !dataOnly {
			if _, err := dst.Write(line); err != nil {
				return scratch, err
			}
		}
		if len(field) == 0 {
			return scratch, nil
		}
	}
}

// crlfLine strips the CRLF a body line must end with and checks that the
// rest holds no control characters (HTAB aside).
func crlfLine(line []byte) ([]byte, bool) {
	n := len(line)
	if n < 2 || line[n-2] != '\r' || line[n-1] != '\n' {
		return nil, false
	}
	for _, c := range line[:n-2] {
		if isCTL(c) {
			return nil, false
		}
	}
	return line[:n-2], true
}

// DiscardBody reads and drops a body of the given BodyLength form.
func DiscardBody(src *bufio.Reader, n int64, scratch []byte) ([]byte, error) {
	switch {
	case n >= 0:
		_, err := src.Discard(int(n))
		return scratch, err
	case n == ChunkedBody:
		w := bufio.NewWriterSize(io.Discard, 16) // rare path: retried 5xx with chunked body
		return CopyChunked(w, src, scratch)
	default:
		_, err := io.Copy(io.Discard, src)
		return scratch, err
	}
}

func readRawLine(src *bufio.Reader, dst []byte) ([]byte, error) {
	for {
		b, err := src.ReadSlice('\n')
		if len(dst)+len(b) > maxLineBytes {
			return dst, ErrHeadTooLarge
		}
		dst = append(dst, b...)
		if err == nil {
			return dst, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return dst, err
		}
	}
}

func trimRightOWS(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
