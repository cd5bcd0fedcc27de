package graph

import (
	"math"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func splitGraph() *Graph {
	return &Graph{
		Services: []Service{
			{Name: "front", Calls: []string{"reviews"}},
			{Name: "v1"},
			{Name: "v2", Calls: []string{"ratings"}},
			{Name: "ratings"},
		},
		Splits: []Split{{Name: "reviews", Versions: []Version{{Service: "v1", Weight: 3}, {Service: "v2", Weight: 1}}}},
	}
}

func TestSplitExpectation(t *testing.T) {
	g := splitGraph()
	require.NoError(t, g.Validate())
	e := g.Expect()
	assert.False(t, e.Exact)
	assert.InDelta(t, 1, e.Calls[Edge{"front", "reviews"}], 1e-9)
	assert.True(t, e.ExactEdges[Edge{"front", "reviews"}], "every request calls the split")
	assert.InDelta(t, 0.75, e.Calls[Edge{"reviews", "v1"}], 1e-9)
	assert.InDelta(t, 0.25, e.Calls[Edge{"reviews", "v2"}], 1e-9)
	assert.InDelta(t, 0.25, e.Calls[Edge{"v2", "ratings"}], 1e-9)
	assert.False(t, e.ExactEdges[Edge{"v2", "ratings"}], "behind a random choice")
	assert.Equal(t, 2, g.Hops(), "front -> reviews (v2) -> ratings")
}

func TestSplitValidation(t *testing.T) {
	tests := []struct {
		name  string
		split Split
		want  string
	}{
		{"no name", Split{Versions: []Version{{Service: "v1", Weight: 1}}}, "graph.splits[0].name: is required"},
		{"a service's name", Split{Name: "v1", Versions: []Version{{Service: "v2", Weight: 1}}}, `"v1" is also a service`},
		{"no versions", Split{Name: "r"}, "graph.splits[0].versions: at least one"},
		{"unknown version", Split{Name: "r", Versions: []Version{{Service: "v9", Weight: 1}}}, `versions[0].service: unknown service "v9"`},
		{"zero weights", Split{Name: "r", Versions: []Version{{Service: "v1"}}}, "weights sum to 0"},
		{"mixed types", Split{Name: "r", Versions: []Version{{Service: "v1", Weight: 1}, {Service: "g", Weight: 1}}}, `"g" is grpc`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &Graph{Services: []Service{{Name: "v1"}, {Name: "v2"}, {Name: "g", Type: TypeGRPC}}, Splits: []Split{tt.split}}
			err := g.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	g := &Graph{Services: []Service{{Name: "front", Calls: []string{"nosuch"}}}, Splits: []Split{}}
	require.ErrorContains(t, g.Validate(), `unknown service "nosuch"`)
}

// TestAppSideSplit: with no mesh the calling service picks a version by
// weight; the counts the harness derives per split edge are within
// binomial bounds and pass CheckEdges.
func TestAppSideSplit(t *testing.T) {
	g := splitGraph()
	require.NoError(t, g.Validate())
	urls := map[string]string{}
	urls["ratings"] = serve(t, Options{Name: "ratings"})
	o := OptionsOf(g.Service("v2"))
	o.Downstreams = map[string]string{"ratings": urls["ratings"]}
	urls["v2"] = serve(t, o)
	urls["v1"] = serve(t, Options{Name: "v1"})
	o = OptionsOf(g.Service("front"))
	o.Splits = map[string][]Target{"reviews": {{URL: urls["v1"], Weight: 3}, {URL: urls["v2"], Weight: 1}}}
	urls["front"] = serve(t, o)
	const n = 800
	for i := 0; i < n; i++ {
		resp, err := http.Get(urls["front"] + "/")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	received, calls := observe(t, g, urls)
	g.SplitCalls(received, calls)
	sigma := math.Sqrt(n * 0.75 * 0.25)
	assert.InDelta(t, 0.75*n, float64(calls["reviews"]["v1"]), 4*sigma)
	assert.Equal(t, int64(n), calls["reviews"]["v1"]+calls["reviews"]["v2"])
	for _, e := range g.CheckEdges(received["front"], calls) {
		assert.True(t, e.OK, e.String())
	}
	_, err := newHandler(Options{Name: "x", Splits: map[string][]Target{"r": {{URL: "http://a"}}}})
	require.ErrorContains(t, err, "split r: total weight 0")
}
