package match

import (
	"errors"
	"fmt"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// Headers looks up a request header by lower-case name: every value of a
// repeated field, joined with ",", as Envoy's header matchers read it.
type Headers interface {
	Get(lowerName string) ([]byte, bool)
}

// Attrs are the request attributes matchers read. Fields are views valid
// for the duration of one request.
type Attrs struct {
	Authority, Path, Method []byte // Path includes the query (Envoy's :path)
	Headers                 Headers
	// Principal is the peer's SPIFFE ID from mTLS ("" when plaintext).
	Principal string
}

// Header returns a header or pseudo-header value.
func (a *Attrs) Header(name string) ([]byte, bool) {
	switch name {
	case ":path":
		return a.Path, true
	case ":method":
		return a.Method, true
	case ":authority", "host":
		return a.Authority, a.Authority != nil
	}
	if a.Headers == nil {
		return nil, false
	}
	return a.Headers.Get(name)
}

type strKind uint8

const (
	exact strKind = iota
	prefix
	suffix
	contains
)

// String is a compiled StringMatcher.
type String struct {
	kind       strKind
	value      string
	ignoreCase bool
}

// ErrUnsupported marks configuration this proxy does not implement.
var ErrUnsupported = errors.New("unsupported")

// CompileString compiles a StringMatcher.
func CompileString(m *matcherv3.StringMatcher) (String, error) {
	if m == nil {
		return String{}, errors.New("empty string matcher")
	}
	s := String{ignoreCase: m.GetIgnoreCase()}
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		s.kind, s.value = exact, p.Exact
	case *matcherv3.StringMatcher_Prefix:
		s.kind, s.value = prefix, p.Prefix
	case *matcherv3.StringMatcher_Suffix:
		s.kind, s.value = suffix, p.Suffix
	case *matcherv3.StringMatcher_Contains:
		s.kind, s.value = contains, p.Contains
	default:
		return String{}, fmt.Errorf("string matcher %T: %w (regex is not allowed on the hot path)", p, ErrUnsupported)
	}
	if s.ignoreCase {
		s.value = strings.ToLower(s.value)
	}
	return s, nil
}

// Exact returns a matcher for exactly v.
func Exact(v string) String { return String{kind: exact, value: v} }

// Match tests b.
func (s String) Match(b []byte) bool {
	v := s.value
	switch s.kind {
	case exact:
		return len(b) == len(v) && eq(b, v, s.ignoreCase)
	case prefix:
		return len(b) >= len(v) && eq(b[:len(v)], v, s.ignoreCase)
	case suffix:
		return len(b) >= len(v) && eq(b[len(b)-len(v):], v, s.ignoreCase)
	default:
		for i := 0; i+len(v) <= len(b); i++ {
			if eq(b[i:i+len(v)], v, s.ignoreCase) {
				return true
			}
		}
		return false
	}
}

// MatchString tests s without converting it.
func (s String) MatchString(x string) bool { return s.Match(bytesOf(x)) }

func eq(b []byte, v string, fold bool) bool {
	if !fold {
		return string(b) == v
	}
	for i := 0; i < len(v); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != v[i] {
			return false
		}
	}
	return true
}

// Header is a compiled HeaderMatcher.
type Header struct {
	name    string
	str     *String
	present bool // present_match (or the default when nothing else is set)
	invert  bool
}

// CompileHeader compiles a route HeaderMatcher.
func CompileHeader(m *routev3.HeaderMatcher) (Header, error) {
	h := Header{name: strings.ToLower(m.GetName()), invert: m.GetInvertMatch()}
	if h.name == "" {
		return h, errors.New("header matcher without name")
	}
	switch p := m.GetHeaderMatchSpecifier().(type) {
	case nil:
		h.present = true
	case *routev3.HeaderMatcher_PresentMatch:
		h.present = p.PresentMatch
		if !p.PresentMatch {
			h.present, h.invert = true, !h.invert
		}
	case *routev3.HeaderMatcher_StringMatch:
		s, err := CompileString(p.StringMatch)
		if err != nil {
			return h, fmt.Errorf("header %q: %w", h.name, err)
		}
		h.str = &s
	case *routev3.HeaderMatcher_ExactMatch: //nolint:staticcheck // still sent by older control planes
		s := Exact(p.ExactMatch)
		h.str = &s
	case *routev3.HeaderMatcher_PrefixMatch: //nolint:staticcheck
		h.str = &String{kind: prefix, value: p.PrefixMatch}
	default:
		return h, fmt.Errorf("header %q matcher %T: %w", h.name, p, ErrUnsupported)
	}
	return h, nil
}

// Match tests the request.
func (h *Header) Match(a *Attrs) bool {
	v, ok := a.Header(h.name)
	r := ok
	if ok && h.str != nil {
		r = h.str.Match(v)
	}
	return r != h.invert
}
