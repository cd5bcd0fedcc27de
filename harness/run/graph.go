package run

import (
	"context"
	"fmt"

	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// checkGraph records the calls per edge of a service-graph run beside the
// topology's expectation; an edge off its expectation, or counters that
// cannot be read, make the run invalid (the graph did not run as written).
func checkGraph(ctx context.Context, topo platform.Topology, g *graph.Graph, res *results.Result) {
	gs, ok := topo.(platform.GraphStats)
	if g == nil || !ok {
		return
	}
	invalid := func(format string, args ...any) {
		res.Valid = false
		res.InvalidReasons = append(res.InvalidReasons, fmt.Sprintf(format, args...))
	}
	stats, err := gs.GraphStats(ctx)
	if err != nil {
		invalid("service graph counters: %v", err)
		return
	}
	calls := map[string]map[string]int64{}
	received := map[string]int64{}
	for name, st := range stats {
		calls[name] = st.Calls
		received[name] = st.Received
	}
	g.SplitCalls(received, calls)
	res.GraphEdges = g.CheckEdges(stats[g.Entry].Received, calls)
	for _, e := range res.GraphEdges {
		if !e.OK {
			invalid("graph edge %s", e)
		}
	}
}
