package filter

import (
	"bytes"
	"testing"
)

// FuzzPathNormalize: for every combination of the HCM's path options, any
// target either is refused or becomes a path that normalising again leaves
// unchanged (so routing, RBAC and the upstream see one path), starts with
// "/", and holds no dot segments (normalize_path) and no "//"
// (merge_slashes) - the class of Envoy CVE-2019-9901 and Istio
// CVE-2021-31920.
func FuzzPathNormalize(f *testing.F) {
	for _, s := range []string{"/admin", "//admin", "/./admin", "/x/../admin", "/%61dmin", "/%2e/admin", "/public/../admin",
		"/a%2Fb", "/a%5cb", "/a\\..\\b", "/a?x=/../y", "/%2e%2E/%2e", "/..", "/a//b/./c/..", "/%zz", "/%"} {
		f.Add([]byte(s), uint8(7))
	}
	f.Fuzz(func(t *testing.T, target []byte, opts uint8) {
		o := PathOptions{Normalize: opts&1 != 0, MergeSlashes: opts&2 != 0, Escaped: EscapedSlashes(opts >> 2 % 3)}
		out, ok := o.Apply(nil, target)
		if !ok || len(target) == 0 || target[0] != '/' {
			return
		}
		out = bytes.Clone(out)
		again, ok := o.Apply(nil, out)
		if !ok || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent (%+v): %q -> %q -> %q (ok=%v)", o, target, out, again, ok)
		}
		path := out
		if i := bytes.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if len(path) == 0 || path[0] != '/' {
			t.Fatalf("%q -> %q: not an absolute path", target, out)
		}
		if o.Normalize {
			for _, seg := range bytes.Split(path, []byte("/")) {
				if string(seg) == "." || string(seg) == ".." {
					t.Fatalf("%q -> %q: dot segment left", target, out)
				}
			}
		}
		if o.MergeSlashes && bytes.Contains(path, []byte("//")) {
			t.Fatalf("%q -> %q: // left", target, out)
		}
	})
}
