package http1

import (
	"bufio"
	"errors"
	"fmt"
)

// Limits that protect the proxy from unbounded heads.
const (
	MaxHeadBytes = 64 << 10
	MaxFields    = 128
)

// Errors callers branch on (to pick a 4xx/5xx status or close quietly).
var (
	ErrHeadTooLarge = errors.New("http1: head too large")
	ErrMalformed    = errors.New("http1: malformed message")
)

// Field is one header line; Name and Value point into the owner's buffer and
// are valid until the owner's next Read.
type Field struct {
	Name, Value []byte
	// Hop marks hop-by-hop fields (Connection, Keep-Alive, TE, ...) that a
	// proxy must not forward.
	Hop bool
}

// head is the part common to requests and responses.
type head struct {
	buf           []byte
	Fields        []Field
	ContentLength int64 // -1 when absent
	Chunked       bool
	// Close is true when this message ends the connection (Connection:
	// close, or HTTP/1.0 without keep-alive).
	Close     bool
	keepAlive bool
	Minor     int // HTTP/1.<Minor>
	Upgrade   bool
}

func (h *head) reset() {
	h.buf = h.buf[:0]
	h.Fields = h.Fields[:0]
	h.ContentLength = -1
	h.Chunked, h.Close, h.keepAlive, h.Upgrade = false, false, false, false
	h.Minor = 1
}

// readLine returns the next CRLF (or LF) terminated line, without the line
// ending, copied into h.buf.
func (h *head) readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, ErrHeadTooLarge
		}
		return nil, err
	}
	if len(h.buf)+len(line) > MaxHeadBytes {
		return nil, ErrHeadTooLarge
	}
	n := len(line) - 1
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	// A bare CR or NUL inside a line is how request smuggling starts (the
	// next hop may split on it); reject rather than forward (RFC 9112 2.2).
	for _, c := range line[:n] {
		if c == '\r' || c == 0 {
			return nil, fmt.Errorf("%w: control character in head", ErrMalformed)
		}
	}
	start := len(h.buf)
	h.buf = append(h.buf, line[:n]...)
	return h.buf[start:len(h.buf):len(h.buf)], nil
}

// readFields reads header lines up to the blank line and classifies the
// fields that govern framing and connection reuse.
func (h *head) readFields(br *bufio.Reader) error {
	for {
		line, err := h.readLine(br)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if len(h.Fields) >= MaxFields {
			return ErrHeadTooLarge
		}
		if line[0] == ' ' || line[0] == '\t' {
			return fmt.Errorf("%w: obsolete line folding", ErrMalformed)
		}
		colon := indexByte(line, ':')
		if colon <= 0 {
			return fmt.Errorf("%w: header line without colon", ErrMalformed)
		}
		name := line[:colon]
		if name[len(name)-1] == ' ' || name[len(name)-1] == '\t' {
			return fmt.Errorf("%w: space before colon", ErrMalformed)
		}
		f := Field{Name: name, Value: trimOWS(line[colon+1:])}
		if err := h.classify(&f); err != nil {
			return err
		}
		h.Fields = append(h.Fields, f)
	}
}

func (h *head) classify(f *Field) error {
	switch len(f.Name) {
	case 2:
		f.Hop = EqualFold(f.Name, "te")
	case 7:
		if EqualFold(f.Name, "upgrade") {
			f.Hop, h.Upgrade = true, true
		}
	case 10:
		if EqualFold(f.Name, "connection") {
			f.Hop = true
			h.connectionTokens(f.Value)
		} else if EqualFold(f.Name, "keep-alive") {
			f.Hop = true
		}
	case 14:
		if EqualFold(f.Name, "content-length") {
			n, ok := parseUint(f.Value)
			if !ok || (h.ContentLength >= 0 && h.ContentLength != n) {
				return fmt.Errorf("%w: bad content-length %q", ErrMalformed, f.Value)
			}
			h.ContentLength = n
		}
	case 16:
		f.Hop = EqualFold(f.Name, "proxy-connection")
	case 17:
		if EqualFold(f.Name, "transfer-encoding") {
			// Framing is re-declared by the writer, so the field itself is
			// hop-by-hop; only "chunked" (last) is supported, as in RFC 9112.
			f.Hop = true
			if !hasSuffixFold(f.Value, "chunked") {
				return fmt.Errorf("%w: unsupported transfer-encoding %q", ErrMalformed, f.Value)
			}
			h.Chunked = true
		}
	}
	return nil
}

func (h *head) connectionTokens(v []byte) {
	for len(v) > 0 {
		i := indexByte(v, ',')
		var tok []byte
		if i < 0 {
			tok, v = trimOWS(v), nil
		} else {
			tok, v = trimOWS(v[:i]), v[i+1:]
		}
		switch {
		case EqualFold(tok, "close"):
			h.Close = true
		case EqualFold(tok, "keep-alive"):
			h.keepAlive = true
		}
	}
}

// finish applies the rules that need the whole head.
func (h *head) finish() {
	if h.Chunked {
		h.ContentLength = -1 // RFC 9112 6.3: chunked wins over Content-Length
	}
	if h.Minor == 0 && !h.keepAlive {
		h.Close = true
	}
}

// Get returns the first field named name (ASCII case-insensitive; pass
// lower case).
func (h *head) Get(name string) ([]byte, bool) {
	for i := range h.Fields {
		if EqualFold(h.Fields[i].Name, name) {
			return h.Fields[i].Value, true
		}
	}
	return nil, false
}
