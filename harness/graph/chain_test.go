package graph

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func stats(t *testing.T, base string) Stats {
	t.Helper()
	resp, err := http.Get(base + "/stats")
	require.NoError(t, err)
	defer resp.Body.Close()
	var s Stats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
	return s
}

// startGraph serves every service of g on 127.0.0.1 (callees first) and
// returns each one's base URL.
func startGraph(t *testing.T, g *Graph) map[string]string {
	t.Helper()
	require.NoError(t, g.Validate())
	urls := map[string]string{}
	var start func(name string)
	start = func(name string) {
		if urls[name] != "" {
			return
		}
		s := g.Service(name)
		o := OptionsOf(s)
		o.Downstreams = map[string]string{}
		for _, c := range s.Callees() {
			start(c)
			o.Downstreams[c] = DownstreamURL(g.Service(c), strings.TrimPrefix(urls[c], "http://"))
		}
		urls[name] = serve(t, o)
	}
	for _, s := range g.Services {
		start(s.Name)
	}
	return urls
}

func observe(t *testing.T, g *Graph, urls map[string]string) (map[string]int64, map[string]map[string]int64) {
	received := map[string]int64{}
	calls := map[string]map[string]int64{}
	for _, s := range g.Services {
		st := stats(t, urls[s.Name])
		received[s.Name] = st.Received
		calls[s.Name] = st.Calls
	}
	return received, calls
}

func TestThreeServiceChainCallCounts(t *testing.T) {
	g := &Graph{Services: []Service{
		{Name: "a", Script: []Step{{Call: &Call{Service: "b"}}}},
		{Name: "b", Script: []Step{{Call: &Call{Service: "c", RequestBytes: 1024}}}},
		{Name: "c", ResponseBytes: 1024},
	}}
	urls := startGraph(t, g)
	const n = 200
	for i := 0; i < n; i++ {
		resp, err := http.Get(urls["a"] + "/")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	received, calls := observe(t, g, urls)
	assert.Equal(t, map[string]int64{"a": n, "b": n, "c": n}, received, "every service received every request")
	for _, e := range g.CheckEdges(received["a"], calls) {
		assert.True(t, e.OK, e.String())
		assert.Equal(t, float64(n), e.Expected)
	}
}

func TestProbabilityConcurrencyAndErrorRateCounts(t *testing.T) {
	g := &Graph{Services: []Service{
		{Name: "front", Script: []Step{
			{Concurrent: []Step{{Call: &Call{Service: "half", Probability: 50}}, {Call: &Call{Service: "flaky"}}}},
			{Call: &Call{Service: "last"}},
		}},
		{Name: "half"},
		{Name: "flaky", ErrorRate: 0.25}, // every 4th request fails
		{Name: "last"},
	}}
	urls := startGraph(t, g)
	const n = 400
	fails := 0
	for i := 0; i < n; i++ {
		resp, err := http.Get(urls["front"] + "/")
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			fails++
		}
	}
	assert.Equal(t, n/4, fails, "flaky fails every 4th request, and so does front")
	received, calls := observe(t, g, urls)
	assert.Equal(t, int64(n), received["flaky"])
	assert.Equal(t, int64(3*n/4), received["last"], "a failed concurrent group aborts the script")
	for _, e := range g.CheckEdges(received["front"], calls) {
		assert.True(t, e.OK, e.String())
	}
	assert.InDelta(t, n/2, received["half"], 5*10+1, "a 50% call is made about half the time")

	wrong := map[string]map[string]int64{"front": {"half": 0, "flaky": n, "last": n}}
	bad := 0
	for _, e := range g.CheckEdges(n, wrong) {
		if !e.OK {
			bad++
		}
	}
	assert.Equal(t, 2, bad, "the check fails edges far from their expectation")
}

func TestExpect(t *testing.T) {
	g := &Graph{Entry: "a", Services: []Service{
		{Name: "a", Script: []Step{{Call: &Call{Service: "b", Probability: 50}}, {Call: &Call{Service: "c"}}}},
		{Name: "b", Script: []Step{{Call: &Call{Service: "c"}}}},
		{Name: "c", ErrorRate: 0.5},
	}}
	require.NoError(t, g.Validate())
	e := g.Expect()
	assert.False(t, e.Exact)
	assert.InDelta(t, 0.5, e.Calls[Edge{"a", "b"}], 1e-9)
	// a -> c runs unless b was called and failed (c fails half the time).
	assert.InDelta(t, 1-0.5*0.5, e.Calls[Edge{"a", "c"}], 1e-9)
	assert.InDelta(t, 0.5, e.Calls[Edge{"b", "c"}], 1e-9)
	assert.InDelta(t, 1.25, e.Received["c"], 1e-9)
	assert.True(t, bookinfo().Expect().Exact)
	assert.Equal(t, map[Edge]bool{{"a", "b"}: false, {"a", "c"}: false, {"b", "c"}: false}, e.ExactEdges,
		"a -> b is drawn (and so is what b receives); a -> c follows a call that may fail")
	mixed := &Graph{Entry: "front", Services: []Service{
		{Name: "front", Script: []Step{{Call: &Call{Service: "sure"}}, {Call: &Call{Service: "maybe", Probability: 10}}, {Call: &Call{Service: "after"}}}},
		{Name: "sure", Script: []Step{{Call: &Call{Service: "leaf"}}}},
		{Name: "maybe", Script: []Step{{Call: &Call{Service: "leaf"}}}},
		{Name: "after"}, {Name: "leaf"},
	}}
	require.NoError(t, mixed.Validate())
	assert.Equal(t, map[Edge]bool{{"front", "sure"}: true, {"front", "maybe"}: false, {"front", "after"}: true,
		{"sure", "leaf"}: true, {"maybe", "leaf"}: false}, mixed.Expect().ExactEdges,
		"a drawn call to a service that never fails leaves the rest of the script certain")
	assert.Equal(t, uint64(3), ErrorEvery(0.3), "isotope's integer arithmetic")
	assert.Equal(t, uint64(10), ErrorEvery(0.1))
	assert.Equal(t, uint64(0), ErrorEvery(0))
}

func TestGRPCServicesCallCounts(t *testing.T) {
	g := &Graph{Services: []Service{
		{Name: "a", Script: []Step{{Call: &Call{Service: "b", RequestBytes: 100, Headers: map[string]string{"x-v": "1"}}}}},
		{Name: "b", Type: TypeGRPC, Script: []Step{{Concurrent: []Step{{Call: &Call{Service: "c"}}, {Call: &Call{Service: "d"}}}}}},
		{Name: "c", Type: TypeGRPC, ResponseBytes: 1024},
		{Name: "d", ErrorRate: 0.5}, // an HTTP callee of a gRPC service, failing every other request
	}}
	urls := startGraph(t, g)
	const n = 100
	ok := 0
	for i := 0; i < n; i++ {
		resp, err := http.Get(urls["a"] + "/")
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ok++
		}
	}
	assert.Equal(t, n/2, ok, "d's every-other failure travels back through gRPC as a failed call")
	received, calls := observe(t, g, urls)
	assert.Equal(t, map[string]int64{"a": n, "b": n, "c": n, "d": n}, received)
	for _, e := range g.CheckEdges(received["a"], calls) {
		assert.True(t, e.OK, e.String())
	}
}
