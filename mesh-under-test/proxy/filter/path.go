package filter

import (
	"fmt"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
)

// EscapedSlashes is the HCM's path_with_escaped_slashes_action.
type EscapedSlashes uint8

// Actions for %2F and %5C in a path.
const (
	KeepEscapedSlashes EscapedSlashes = iota
	RejectEscapedSlashes
	UnescapeEscapedSlashes
)

// PathOptions are the HCM's path settings, applied before routing and
// authorization; the upstream receives the resulting path, as in Envoy.
type PathOptions struct {
	// Normalize is normalize_path: RFC 3986 dot segments removed,
	// percent-encoded unreserved characters decoded, backslashes as slashes.
	Normalize bool
	// MergeSlashes is merge_slashes: "//" becomes "/".
	MergeSlashes bool
	Escaped      EscapedSlashes
}

// CompilePathOptions reads the HCM's path fields.
func CompilePathOptions(h *hcmv3.HttpConnectionManager) (PathOptions, error) {
	o := PathOptions{Normalize: h.GetNormalizePath().GetValue(), MergeSlashes: h.GetMergeSlashes()}
	switch a := h.GetPathWithEscapedSlashesAction(); a {
	case hcmv3.HttpConnectionManager_IMPLEMENTATION_SPECIFIC_DEFAULT, hcmv3.HttpConnectionManager_KEEP_UNCHANGED:
	case hcmv3.HttpConnectionManager_REJECT_REQUEST:
		o.Escaped = RejectEscapedSlashes
	case hcmv3.HttpConnectionManager_UNESCAPE_AND_FORWARD:
		o.Escaped = UnescapeEscapedSlashes
	default:
		return o, fmt.Errorf("path_with_escaped_slashes_action %v: %w", a, match.ErrUnsupported)
	}
	if h.GetPathNormalizationOptions() != nil {
		return o, fmt.Errorf("path_normalization_options: %w", match.ErrUnsupported)
	}
	return o, nil
}

// Active reports whether Apply can change anything.
func (o PathOptions) Active() bool {
	return o.Normalize || o.MergeSlashes || o.Escaped != KeepEscapedSlashes
}

// Apply returns the target (path and query) to route, authorize and
// forward. It returns target itself when nothing changes (the common case,
// found without copying) and otherwise appends the result to dst. ok is
// false when the request must be refused with 400.
func (o PathOptions) Apply(dst, target []byte) (out []byte, ok bool) {
	if !o.Active() || len(target) == 0 || target[0] != '/' {
		return target, true
	}
	path, query := target, []byte(nil)
	for i, c := range target {
		if c == '?' {
			path, query = target[:i], target[i:]
			break
		}
	}
	if !o.needsWork(path) {
		return target, true
	}
	out = dst[:0]
	// 1. escaped slashes, 2. RFC 3986 normalisation, 3. merge slashes:
	// Envoy's order.
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '%' {
			if i+2 >= len(path) || unhex(path[i+1]) < 0 || unhex(path[i+2]) < 0 {
				if o.Normalize {
					return nil, false // not a valid escape
				}
				out = append(out, c)
				continue
			}
			v := byte(unhex(path[i+1])<<4 | unhex(path[i+2]))
			switch {
			case v == '/' || v == '\\':
				switch o.Escaped {
				case RejectEscapedSlashes:
					return nil, false
				case UnescapeEscapedSlashes:
					out = append(out, v)
					i += 2
					continue
				}
			case o.Normalize && unreserved(v):
				out = append(out, v)
				i += 2
				continue
			}
			if o.Normalize { // canonical escapes are upper-case
				out = append(out, '%', upperHex(path[i+1]), upperHex(path[i+2]))
			} else {
				out = append(out, path[i:i+3]...)
			}
			i += 2
			continue
		}
		if o.Normalize && (c <= ' ' || c >= 0x7f) {
			return nil, false
		}
		out = append(out, c)
	}
	if o.Normalize {
		for i, c := range out {
			if c == '\\' {
				out[i] = '/'
			}
		}
		out = removeDotSegments(out)
	}
	if o.MergeSlashes {
		out = mergeSlashes(out)
	}
	return append(out, query...), true
}

// needsWork is a quick scan for anything Apply could change.
func (o PathOptions) needsWork(p []byte) bool {
	for i, c := range p {
		switch {
		case c == '%':
			return true
		case c == '/' && i+1 < len(p) && (p[i+1] == '/' || (p[i+1] == '.' && o.Normalize)):
			return true
		case o.Normalize && (c == '\\' || c <= ' ' || c >= 0x7f):
			return true
		}
	}
	return false
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// removeDotSegments is RFC 3986 5.2.4 on an absolute path, in place: "."
// segments go, ".." removes the segment before it (never above the root).
func removeDotSegments(p []byte) []byte {
	out := p[:0] // never longer than what has been read, so in place is safe
	i := 0
	for i < len(p) {
		// p[i] == '/' here: read the segment after it.
		j := i + 1
		for j < len(p) && p[j] != '/' {
			j++
		}
		seg := p[i+1 : j]
		last := j == len(p)
		switch string(seg) {
		case ".":
			if last {
				out = append(out, '/')
			}
		case "..":
			if k := lastSlash(out); k >= 0 {
				out = out[:k]
			}
			if last {
				out = append(out, '/')
			}
		default:
			out = append(out, '/')
			out = append(out, seg...)
		}
		i = j
	}
	if len(out) == 0 {
		out = append(out, '/')
	}
	return out
}

func lastSlash(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' {
			return i
		}
	}
	return -1
}

func mergeSlashes(p []byte) []byte {
	out := p[:0]
	for _, c := range p {
		if c == '/' && len(out) > 0 && out[len(out)-1] == '/' {
			continue
		}
		out = append(out, c)
	}
	return out
}
