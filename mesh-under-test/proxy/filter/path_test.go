package filter

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPathOptionsApply(t *testing.T) {
	mesh := PathOptions{Normalize: true, MergeSlashes: true}
	tests := []struct {
		name string
		o    PathOptions
		in   string
		want string // "" = refused (400)
	}{
		{"plain path unchanged", mesh, "/public/a?x=1", "/public/a?x=1"},
		{"double slash merged", mesh, "//admin", "/admin"},
		{"dot segment", mesh, "/./admin", "/admin"},
		{"dot-dot segment", mesh, "/x/../admin", "/admin"},
		{"escaped unreserved letter", mesh, "/%61dmin", "/admin"},
		{"escaped dot segment", mesh, "/%2e/admin", "/admin"},
		{"escaped dot-dot segment", mesh, "/public/%2E%2e/admin", "/admin"},
		{"dot-dot out of allowed prefix", mesh, "/public/../admin", "/admin"},
		{"dot-dot above root", mesh, "/../../admin", "/admin"},
		{"backslash", mesh, "/public\\..\\admin", "/admin"},
		{"trailing dot-dot", mesh, "/a/b/..", "/a/"},
		{"query untouched", mesh, "/a/./b?p=/../x", "/a/b?p=/../x"},
		{"escaped slash kept by default", mesh, "/a%2fb", "/a%2Fb"},
		{"escaped slash rejected", PathOptions{Escaped: RejectEscapedSlashes}, "/a%2Fb", ""},
		{"escaped slash unescaped", PathOptions{Escaped: UnescapeEscapedSlashes, MergeSlashes: true}, "/%2F%2fadmin", "/admin"},
		{"bad escape refused", mesh, "/a%zz", ""},
		{"truncated escape refused", mesh, "/a%2", ""},
		{"control byte refused", mesh, "/a\x01b", ""},
		{"normalisation off: raw", PathOptions{}, "/x/../admin", "/x/../admin"},
		{"merge only", PathOptions{MergeSlashes: true}, "///a//b", "/a/b"},
		{"merge only keeps dots", PathOptions{MergeSlashes: true}, "/x/../admin", "/x/../admin"},
		{"asterisk form untouched", mesh, "*", "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, ok := tt.o.Apply(nil, []byte(tt.in))
			if tt.want == "" {
				assert.False(t, ok, "refused, got %q", out)
				return
			}
			assert.True(t, ok)
			assert.Equal(t, tt.want, string(out))
		})
	}
}

func TestPathApplyUnchangedDoesNotCopy(t *testing.T) {
	in := []byte("/api/v1/items?limit=5")
	out, ok := PathOptions{Normalize: true, MergeSlashes: true}.Apply(nil, in)
	assert.True(t, ok)
	assert.Same(t, &in[0], &out[0], "an already-normal path is returned as is")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = PathOptions{Normalize: true}.Apply(nil, in) }))
}

func FuzzPathApply(f *testing.F) {
	for _, s := range []string{"/", "//admin", "/./a", "/x/../a", "/%61", "/%2e%2E/a", "/a\\b", "/a?b=/../c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		o := PathOptions{Normalize: true, MergeSlashes: true}
		out, ok := o.Apply(nil, []byte(in))
		if !ok || len(in) == 0 || in[0] != '/' {
			return
		}
		again, ok2 := o.Apply(nil, out)
		if !ok2 || string(again) != string(out) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, ok2)
		}
	})
}
