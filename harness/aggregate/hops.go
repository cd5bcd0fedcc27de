package aggregate

import (
	"github.com/meshbench/meshbench/harness/gate/stats"
)

// HopStat is one service-graph edge's latency as the sidecars recorded it
// (results.HopLatency): medians over the group's valid runs that have it.
type HopStat struct {
	From, To     string
	Runs         int
	MeanMs       float64
	P50Ms        float64
	P99Ms        float64
	CalleeMeanMs float64
	HopMeanMs    float64
}

// Hops is the group's per-edge hop latency, in the edges' order; empty
// when no run recorded one (lanes without sidecars).
func (g *Group) Hops() []HopStat {
	type acc struct {
		mean, p50, p99, callee, hop []float64
	}
	var order [][2]string
	by := map[[2]string]*acc{}
	for _, r := range g.Runs {
		for _, e := range r.GraphEdges {
			if e.Hop == nil {
				continue
			}
			k := [2]string{e.From, e.To}
			a := by[k]
			if a == nil {
				a = &acc{}
				by[k] = a
				order = append(order, k)
			}
			a.mean = append(a.mean, e.Hop.MeanMs)
			a.p50 = append(a.p50, e.Hop.P50Ms)
			a.p99 = append(a.p99, e.Hop.P99Ms)
			a.callee = append(a.callee, e.Hop.CalleeMeanMs)
			a.hop = append(a.hop, e.Hop.HopMeanMs)
		}
	}
	out := make([]HopStat, 0, len(order))
	for _, k := range order {
		a := by[k]
		out = append(out, HopStat{From: k[0], To: k[1], Runs: len(a.mean), MeanMs: stats.Median(a.mean),
			P50Ms: stats.Median(a.p50), P99Ms: stats.Median(a.p99), CalleeMeanMs: stats.Median(a.callee),
			HopMeanMs: stats.Median(a.hop)})
	}
	return out
}
