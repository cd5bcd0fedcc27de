package http1

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Default limits on a head, Envoy's defaults (max_request_headers_kb 60,
// max_headers_count 100). Leading empty lines count towards the bytes.
const (
	DefaultMaxHeadBytes = 60 << 10
	DefaultMaxFields    = 100
	// maxLineBytes bounds one chunk-size or trailer line of a body.
	maxLineBytes = 4 << 10 // as Go's chunked reader
)

// Errors callers branch on (to pick a 4xx/5xx status or close quietly).
var (
	ErrHeadTooLarge = errors.New("http1: head too large")
	ErrMalformed    = errors.New("http1: malformed message")
	// ErrNotImplemented: a well-formed request the proxy does not support
	// (a transfer coding other than chunked, CONNECT): 501.
	ErrNotImplemented = errors.New("http1: not implemented")
)

// UnderscoreAction is what to do with a request header whose name contains
// an underscore (Envoy's headers_with_underscores_action).
type UnderscoreAction uint8

// Underscore actions; the zero value is Envoy's default.
const (
	UnderscoresAllow UnderscoreAction = iota
	UnderscoresReject
	UnderscoresDrop
)

// Limits bound what a head may hold. The zero value means the defaults.
type Limits struct {
	MaxHeadBytes int
	MaxFields    int
	Underscores  UnderscoreAction
}

// Field is one header line; Name and Value point into the owner's buffer and
// are valid until the owner's next Read.
type Field struct {
	Name, Value []byte
	// Hop marks hop-by-hop fields (Connection, Keep-Alive, TE, fields the
	// Connection header names, ...) that a proxy must not forward.
	Hop bool
}

// head is the part common to requests and responses.
type head struct {
	Limits
	buf           []byte
	n             int // bytes of this head read so far, leading empty lines included
	Fields        []Field
	ContentLength int64 // -1 when absent
	Chunked       bool
	// TE is the Transfer-Encoding value (nil when absent); responses keep
	// codings before the final chunked (gzip, chunked) and re-send them.
	TE []byte
	// Close is true when this message ends the connection (Connection:
	// close, or HTTP/1.0 without keep-alive).
	Close      bool
	keepAlive  bool
	nominates  bool // a Connection field names another field
	teFields   int
	hostFields int
	Minor      int // HTTP/1.<Minor>
	Upgrade    bool
}

func (h *head) reset() {
	h.buf = h.buf[:0]
	h.n = 0
	h.Fields = h.Fields[:0]
	h.ContentLength = -1
	h.TE = nil
	h.Chunked, h.Close, h.keepAlive, h.Upgrade, h.nominates = false, false, false, false, false
	h.teFields, h.hostFields = 0, 0
	h.Minor = 1
}

func (h *head) maxBytes() int {
	if h.MaxHeadBytes > 0 {
		return h.MaxHeadBytes
	}
	return DefaultMaxHeadBytes
}

func (h *head) maxFields() int {
	if h.MaxFields > 0 {
		return h.MaxFields
	}
	return DefaultMaxFields
}

// readLine returns the next CRLF (or LF, RFC 9112 2.2) terminated line,
// without the line ending, copied into h.buf. Every byte read counts
// against the head limit, so empty lines cannot be sent forever.
func (h *head) readLine(br *bufio.Reader) ([]byte, error) {
	start := len(h.buf)
	for {
		frag, err := br.ReadSlice('\n')
		h.n += len(frag)
		if h.n > h.maxBytes() {
			return nil, ErrHeadTooLarge
		}
		h.buf = append(h.buf, frag...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) && h.n > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	end := len(h.buf) - 1
	if end > start && h.buf[end-1] == '\r' {
		end--
	}
	// Control characters (bare CR, NUL, LF inside, ...) in a head are how
	// request smuggling starts: the next hop may split on them. HTAB is
	// the only one a field value may hold (RFC 9110 5.5).
	if hasCTL(h.buf[start:end]) {
		for _, c := range h.buf[start:end] {
			if isCTL(c) {
				return nil, fmt.Errorf("%w: control character 0x%02x in head", ErrMalformed, c)
			}
		}
	}
	h.buf = h.buf[:end]
	return h.buf[start:end:end], nil
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
		if len(h.Fields) >= h.maxFields() {
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
		if !isToken(name) {
			return fmt.Errorf("%w: field name %q is not a token", ErrMalformed, name)
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
	case 4:
		if EqualFold(f.Name, "host") {
			h.hostFields++
		}
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
			// hop-by-hop.
			f.Hop = true
			h.teFields++
			h.TE = f.Value
		}
	}
	return nil
}

func (h *head) connectionTokens(v []byte) {
	for len(v) > 0 {
		var tok []byte
		tok, v = nextToken(v)
		switch {
		case EqualFold(tok, "close"):
			h.Close = true
		case EqualFold(tok, "keep-alive"):
			h.keepAlive = true
		case len(tok) > 0 && !EqualFold(tok, "upgrade"):
			h.nominates = true
		}
	}
}

// nextToken splits the next element off a comma-separated list.
func nextToken(v []byte) (tok, rest []byte) {
	if i := indexByte(v, ','); i >= 0 {
		return trimOWS(v[:i]), v[i+1:]
	}
	return trimOWS(v), nil
}

// chunkedLast reports whether a Transfer-Encoding value is a list of
// tokens that ends with chunked (and names chunked only there), and
// whether chunked is its only coding. "xchunked" or "chunked," are not.
func chunkedLast(te []byte) (ok, only bool) {
	for first := true; ; first = false {
		tok, rest := nextToken(te)
		if !isToken(tok) {
			return false, false
		}
		if EqualFold(tok, "chunked") {
			return rest == nil, first && rest == nil
		}
		if rest == nil {
			return false, false
		}
		te = rest
	}
}

// finish applies the rules that need the whole head, common to requests
// and responses.
func (h *head) finish() error {
	if h.teFields > 0 {
		if h.teFields > 1 {
			return fmt.Errorf("%w: more than one transfer-encoding field", ErrMalformed)
		}
		if h.Minor == 0 {
			// RFC 9112 6.1: HTTP/1.0 with Transfer-Encoding is faulty framing.
			return fmt.Errorf("%w: transfer-encoding in HTTP/1.0", ErrMalformed)
		}
	}
	if h.nominates {
		h.dropNominated()
	}
	if h.Minor == 0 && !h.keepAlive {
		h.Close = true
	}
	return nil
}

// dropNominated marks the fields a Connection header names as hop-by-hop
// (RFC 9110 7.6.1). Fields that carry framing or routing are never
// dropped this way: "Connection: Content-Length" must not make the next
// hop read the body differently.
func (h *head) dropNominated() {
	for i := range h.Fields {
		if !EqualFold(h.Fields[i].Name, "connection") {
			continue
		}
		for v := h.Fields[i].Value; len(v) > 0; {
			var tok []byte
			tok, v = nextToken(v)
			if len(tok) == 0 || EqualFold(tok, "content-length") || EqualFold(tok, "host") {
				continue
			}
			for j := range h.Fields {
				if equalFoldBytes(h.Fields[j].Name, tok) {
					h.Fields[j].Hop = true
				}
			}
		}
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
