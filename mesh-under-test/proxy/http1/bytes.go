package http1

import "encoding/binary"

// EqualFold reports whether b equals the lower-case ASCII string s, ignoring
// ASCII case in b. It does not allocate.
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func hasSuffixFold(b []byte, s string) bool {
	return len(b) >= len(s) && EqualFold(b[len(b)-len(s):], s)
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func parseHex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | int64(c)
	}
	return n, true
}

// AppendInt appends the decimal form of n (n >= 0) without allocating.
func AppendInt(dst []byte, n int64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, tmp[i:]...)
}

// tchar (RFC 9110 5.6.2) and CTL tables.
var tchar, ctl [256]bool

func init() {
	for c := '0'; c <= '9'; c++ {
		tchar[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		tchar[c], tchar[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		tchar[c] = true
	}
	for c := 0; c < 0x20; c++ {
		ctl[c] = c != '\t'
	}
	ctl[0x7f] = true
}

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return true
}

// isCTL: a control character other than HTAB.
func isCTL(c byte) bool { return ctl[c] }

// equalFoldBytes compares two byte strings ignoring ASCII case.
func equalFoldBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func hasPrefixFold(b []byte, s string) bool {
	return len(b) >= len(s) && EqualFold(b[:len(s)], s)
}

// hostChar: the bytes a Host value may hold (as golang.org/x/net/http/httpguts).
var hostChar [256]bool

func init() {
	for c := range 256 {
		hostChar[c] = tchar[c] && c != '`' && c != '^' && c != '|' && c != '#'
	}
	for _, c := range "[]:;=,()" {
		hostChar[c] = true
	}
}

// ValidMethod, ValidTarget and ValidHost say whether a method, an
// origin-form (or "*") request-target and a Host value can be written on
// an HTTP/1.1 request line and Host field as they are: for requests that
// come from elsewhere (HTTP/2) and leave as HTTP/1.1.
func ValidMethod(m string) bool { return isToken([]byte(m)) }

// ValidTarget: see ValidMethod; "*" only with OPTIONS.
func ValidTarget(method, t string) bool {
	if t == "*" {
		return method == "OPTIONS"
	}
	return len(t) > 0 && t[0] == '/' && validTargetBytes([]byte(t))
}

// validTargetBytes: visible ASCII only, and in the path (before any '?')
// every '%' starts a pct-encoded octet (RFC 3986 2.1), as net/http's URL
// parser requires: a target one parser accepts and the next refuses is
// where request handling diverges.
func validTargetBytes(t []byte) bool {
	query := false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c <= ' ' || c >= 0x7f:
			return false
		case c == '?':
			query = true
		case c == '%' && !query:
			if i+2 >= len(t) || !isHex(t[i+1]) || !isHex(t[i+2]) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// ValidHost: see ValidMethod.
func ValidHost(h string) bool { return validHost([]byte(h)) }

// ValidFieldValue: no control characters but HTAB.
func ValidFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if isCTL(v[i]) {
			return false
		}
	}
	return true
}

// Masks for hasCTL's word-at-a-time test.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasCTL reports whether b holds a byte isCTL is true of. Every head line
// is checked on every request, so it looks at eight bytes at a time: a word
// with no byte below 0x20 and none equal to 0x7f (both tests exact for the
// word, from "Bit Twiddling Hacks": hasless and haszero) holds no control
// character; a word that fails (a CTL, or a field value's HTAB) is checked
// byte by byte.
func hasCTL(b []byte) bool {
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		y := x ^ 0x7f*ones
		if ((x-0x20*ones)&^x|(y-ones)&^y)&highs != 0 {
			for _, c := range b[:8] {
				if ctl[c] {
					return true
				}
			}
		}
		b = b[8:]
	}
	for _, c := range b {
		if ctl[c] {
			return true
		}
	}
	return false
}
