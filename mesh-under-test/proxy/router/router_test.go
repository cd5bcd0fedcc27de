package router

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

type hdrs map[string]string

func (h hdrs) Get(n string) ([]byte, bool) {
	v, ok := h[n]
	return []byte(v), ok
}

func table(t testing.TB) *Table {
	a := upstream.New(upstream.Config{Name: "a"}, nil)
	b := upstream.New(upstream.Config{Name: "b"}, nil)
	r := func(kind PathKind, path string, c *upstream.Cluster, w uint32) *Route {
		rt := &Route{Kind: kind, Path: path, CaseSensitive: true, Clusters: []WeightedCluster{{Cluster: c, Weight: w}}}
		rt.Finish()
		return rt
	}
	tb := NewTable("t")
	vh := &VirtualHost{Name: "svc", Routes: []*Route{r(Exact, "/exact", b, 1), r(PathSeparatedPrefix, "/api", b, 1), r(Prefix, "/", a, 1)}}
	_, ok := tb.AddVirtualHost(vh, []string{"svc", "svc.ns.svc.cluster.local"})
	assert.True(t, ok)
	wild := &VirtualHost{Name: "wild", Routes: []*Route{r(Prefix, "/", b, 1)}}
	tb.AddVirtualHost(wild, []string{"*.example.com"})
	for i := range 20 { // a realistic number of other services
		other := &VirtualHost{Name: "o", Routes: []*Route{r(Prefix, "/", a, 1)}}
		tb.AddVirtualHost(other, []string{"other" + string(rune('a'+i))})
	}
	return tb
}

func TestMatch(t *testing.T) {
	tb := table(t)
	tests := []struct {
		host, path string
		want       string
	}{
		{"svc", "/x", "a"}, {"SVC:80", "/x", "a"}, {"svc", "/exact", "b"}, {"svc", "/exact?q=1", "b"},
		{"svc", "/api/x", "b"}, {"svc", "/apix", "a"}, {"a.example.com", "/", "b"}, {"nope", "/", ""},
	}
	for _, tc := range tests {
		r := tb.Match(&match.Attrs{Authority: []byte(tc.host), Path: []byte(tc.path), Method: []byte("GET")})
		got := ""
		if r != nil {
			got = r.Pick().Name
		}
		assert.Equal(t, tc.want, got, "%s%s", tc.host, tc.path)
	}
	_, ok := tb.AddVirtualHost(&VirtualHost{}, []string{"svc"})
	assert.False(t, ok, "duplicate domain")
}

func BenchmarkRouteMatch(b *testing.B) {
	tb := table(b)
	a := &match.Attrs{Authority: []byte("svc.ns.svc.cluster.local:8080"), Path: []byte("/api/v1/items?id=7"),
		Method: []byte("GET"), Headers: hdrs{}}
	b.ReportAllocs()
	for b.Loop() {
		if tb.Match(a) == nil {
			b.Fatal("no route")
		}
	}
}
