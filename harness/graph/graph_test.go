package graph

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bookinfo() *Graph {
	return &Graph{Entry: "productpage", Services: []Service{
		{Name: "productpage", ResponseBytes: 100, Calls: []string{"details", "reviews"}},
		{Name: "details", ResponseBytes: 10},
		{Name: "reviews", Calls: []string{"ratings"}},
		{Name: "ratings"},
	}}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(g *Graph)
		want   string
	}{
		{"ok", func(*Graph) {}, ""},
		{"unknown call", func(g *Graph) { g.Services[0].Calls = []string{"nope"} }, "graph.services[0].calls[0]: unknown service"},
		{"duplicate", func(g *Graph) { g.Services[1].Name = "productpage" }, "appears twice"},
		{"cycle", func(g *Graph) { g.Services[3].Calls = []string{"productpage"} }, "cycle"},
		{"bad entry", func(g *Graph) { g.Entry = "x" }, "graph.entry"},
		{"empty", func(g *Graph) { g.Services = nil }, "at least one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := bookinfo()
			tc.mutate(g)
			err := g.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.want)
		})
	}
	assert.Equal(t, 3, bookinfo().Hops())

}

func serve(t *testing.T, o Options) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = Serve(ctx, ln, o); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

func TestServeRunsScriptAndFails(t *testing.T) {
	leaf := serve(t, Options{Name: "ratings", ResponseBytes: 7})
	mid := serve(t, Options{Name: "reviews", ResponseBytes: 50,
		Script:      []Step{{Burn: 2 * time.Millisecond}, {Sleep: time.Millisecond}, {Call: &Call{Service: "ratings", RequestBytes: 100}}},
		Downstreams: map[string]string{"ratings": leaf}})
	start := time.Now()
	resp, err := http.Get(mid + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Len(t, body, 50)
	assert.Equal(t, "reviews", resp.Header.Get("X-Service"))
	assert.GreaterOrEqual(t, time.Since(start), 3*time.Millisecond)

	broken := serve(t, Options{Name: "p", Script: []Step{{Call: &Call{Service: "x"}}}, Downstreams: map[string]string{"x": "http://127.0.0.1:1"}})
	resp, err = http.Get(broken + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "a failed downstream fails the request, as in isotope")

	_, err = newHandler(Options{Name: "q", Script: []Step{{Call: &Call{Service: "x"}}}})
	assert.ErrorContains(t, err, "no address for callee(s) x")
}
