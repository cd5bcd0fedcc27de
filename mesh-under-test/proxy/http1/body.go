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
// from src to dst, validating the framing. scratch holds a line and may be
// nil; the (possibly grown) scratch is returned for reuse.
func CopyChunked(dst *bufio.Writer, src *bufio.Reader, scratch []byte) ([]byte, error) {
	for {
		line, err := readRawLine(src, scratch[:0])
		scratch = line
		if err != nil {
			return scratch, err
		}
		size := line
		if i := indexByte(size, ';'); i >= 0 {
			size = size[:i]
		}
		n, ok := parseHex(trimOWS(trimCRLF(size)))
		if !ok {
			return scratch, fmt.Errorf("%w: chunk size %q", ErrMalformed, line)
		}
		if _, err := dst.Write(line); err != nil {
			return scratch, err
		}
		if n == 0 {
			// trailer section: lines until the empty line
			for {
				line, err = readRawLine(src, scratch[:0])
				scratch = line
				if err != nil {
					return scratch, err
				}
				if _, err := dst.Write(line); err != nil {
					return scratch, err
				}
				if len(trimCRLF(line)) == 0 {
					return scratch, nil
				}
			}
		}
		if err := CopyN(dst, src, n+2); err != nil { // data + CRLF
			return scratch, err
		}
	}
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
		if len(dst)+len(b) > MaxHeadBytes {
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

func trimCRLF(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
