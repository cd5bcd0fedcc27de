package http1

import (
	"bufio"
	"fmt"
)

// Request is a parsed request head. Reuse one per connection; set Limits
// before Read.
type Request struct {
	head
	Method, Target []byte
	// Host is the Host field's value (nil when absent, HTTP/1.0 only).
	Host      []byte
	Expect100 bool
}

// NewRequest returns a Request with buffers sized for typical heads.
func NewRequest() *Request {
	r := &Request{}
	r.buf = make([]byte, 0, 1024)
	r.Fields = make([]Field, 0, 16)
	return r
}

// Read parses the next request head from br, refusing what RFC 9112/9110
// and Go's net/http refuse: ambiguous framing, malformed lines, a missing
// or repeated Host. It returns io.EOF when the peer closed the connection
// cleanly between requests; ErrMalformed (400), ErrHeadTooLarge (431) or
// ErrNotImplemented (501) otherwise.
func (r *Request) Read(br *bufio.Reader) error {
	r.reset()
	r.Method, r.Target, r.Host, r.Expect100 = nil, nil, nil, false
	line, err := r.readLine(br)
	for err == nil && len(line) == 0 { // RFC 9112 2.2: ignore leading CRLFs (they count towards the limit)
		line, err = r.readLine(br)
	}
	if err != nil {
		return err
	}
	if err := r.requestLine(line); err != nil {
		return err
	}
	if err := r.readFields(br); err != nil {
		return err
	}
	if err := r.finish(); err != nil {
		return err
	}
	return r.finishRequest()
}

// requestLine splits method SP request-target SP HTTP-version: exactly
// one space each, so a target with a space in it is refused, not split.
func (r *Request) requestLine(line []byte) error {
	sp1 := indexByte(line, ' ')
	if sp1 <= 0 {
		return fmt.Errorf("%w: request line %q", ErrMalformed, line)
	}
	rest := line[sp1+1:]
	sp2 := indexByte(rest, ' ')
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
	if !isToken(r.Method) {
		return fmt.Errorf("%w: method %q", ErrMalformed, r.Method)
	}
	if !validTargetBytes(r.Target) {
		return fmt.Errorf("%w: request-target %q", ErrMalformed, r.Target)
	}
	switch {
	case r.Target[0] == '/':
	case len(r.Target) == 1 && r.Target[0] == '*' && string(r.Method) == "OPTIONS":
	case string(r.Method) == "CONNECT":
		return fmt.Errorf("%w: CONNECT", ErrNotImplemented)
	case hasPrefixFold(r.Target, "http://") || hasPrefixFold(r.Target, "https://"):
		// absolute-form: checked against Host in finishRequest
	default:
		return fmt.Errorf("%w: request-target %q", ErrMalformed, r.Target)
	}
	return nil
}

func (r *Request) finishRequest() error {
	for i := range r.Fields {
		f := &r.Fields[i]
		switch len(f.Name) {
		case 4:
			if r.Host == nil && EqualFold(f.Name, "host") {
				r.Host = f.Value[:len(f.Value):len(f.Value)]
			}
		case 6:
			if EqualFold(f.Name, "expect") && EqualFold(f.Value, "100-continue") {
				// RFC 9110 10.1.1: ignored from HTTP/1.0 clients.
				r.Expect100, f.Hop = r.Minor == 1, true
			}
		}
	}
	switch {
	case r.hostFields > 1:
		return fmt.Errorf("%w: more than one Host field", ErrMalformed)
	case r.hostFields == 0 && r.Minor == 1:
		return fmt.Errorf("%w: missing Host", ErrMalformed)
	case !validHost(r.Host):
		return fmt.Errorf("%w: Host %q", ErrMalformed, r.Host)
	}
	if r.Underscores != UnderscoresAllow {
		if err := r.underscores(); err != nil {
			return err
		}
	}
	if r.teFields > 0 {
		if r.ContentLength >= 0 {
			// RFC 9112 6.3: "ought to be handled as an error"; Envoy and
			// every request-smuggling write-up agree.
			return fmt.Errorf("%w: both Content-Length and Transfer-Encoding", ErrMalformed)
		}
		if _, only := chunkedLast(r.TE); !only {
			return fmt.Errorf("%w: transfer-encoding %q", ErrNotImplemented, r.TE)
		}
		r.Chunked = true
	}
	if r.Target[0] != '/' && r.Target[0] != '*' {
		return r.absoluteForm()
	}
	return nil
}

// underscores applies headers_with_underscores_action: refuse the request,
// or drop the fields (from routing and authorization too, not only from
// what is forwarded).
func (r *Request) underscores() error {
	kept := r.Fields[:0]
	for _, f := range r.Fields {
		if indexByte(f.Name, '_') < 0 {
			kept = append(kept, f)
			continue
		}
		if r.Underscores == UnderscoresReject {
			return fmt.Errorf("%w: header %q has an underscore", ErrMalformed, f.Name)
		}
	}
	r.Fields = kept
	return nil
}

// absoluteForm turns an absolute-form target into origin-form. Its
// authority must be the Host field's value, so routing, authorization and
// the upstream all see one authority.
func (r *Request) absoluteForm() error {
	rest := r.Target[indexByte(r.Target, ':')+3:]
	end := len(rest)
	for i, c := range rest {
		if c == '/' || c == '?' || c == '#' {
			end = i
			break
		}
	}
	if !equalFoldBytes(rest[:end], r.Host) || end == 0 {
		return fmt.Errorf("%w: absolute-form authority %q is not Host %q", ErrMalformed, rest[:end], r.Host)
	}
	path := rest[end:]
	if len(path) > 0 && path[0] == '/' {
		r.Target = path
		return nil
	}
	start := len(r.buf)
	r.buf = append(append(r.buf, '/'), path...)
	r.Target = r.buf[start:len(r.buf):len(r.buf)]
	return nil
}

// validHost accepts a uri-host with optional port: reg-name, IPv4 or an
// IP literal in brackets, as the characters Go's httpguts allows.
func validHost(h []byte) bool {
	for _, c := range h {
		if !hostChar[c] {
			return false
		}
	}
	return true
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
