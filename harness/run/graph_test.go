package run

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// graphTopo is a topology seam whose graph counters are given.
type graphTopo struct {
	platform.Topology
	stats map[string]graph.Stats
	err   error
}

func (g graphTopo) GraphStats(context.Context) (map[string]graph.Stats, error) { return g.stats, g.err }

func TestCheckGraph(t *testing.T) {
	g := &graph.Graph{Entry: "a", Services: []graph.Service{{Name: "a", Calls: []string{"b"}}, {Name: "b"}}}
	tests := []struct {
		name   string
		topo   platform.Topology
		valid  bool
		reason string
		edges  int
	}{
		{"as expected", graphTopo{stats: map[string]graph.Stats{"a": {Received: 100, Calls: map[string]int64{"b": 100}}, "b": {Received: 100}}}, true, "", 1},
		{"an edge off", graphTopo{stats: map[string]graph.Stats{"a": {Received: 100, Calls: map[string]int64{"b": 50}}, "b": {Received: 50}}}, false, "graph edge a -> b: 50 calls (expected 100 ± 2)", 1},
		{"counters unreadable", graphTopo{err: errors.New("refused")}, false, "service graph counters: refused", 0},
		{"not a graph topology", struct{ platform.Topology }{}, true, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := &results.Result{Valid: true}
			checkGraph(context.Background(), tc.topo, g, res)
			assert.Equal(t, tc.valid, res.Valid)
			assert.Len(t, res.GraphEdges, tc.edges)
			if tc.reason != "" {
				assert.Contains(t, res.InvalidReasons, tc.reason)
			}
		})
	}
}
