package run

import (
	"context"

	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// hopScrape is one scrape of every sidecar a graph's hops name, by URL.
type hopScrape map[string]map[measure.HistKey]*measure.Hist

// hopMetrics returns where topo's sidecars record the graph's edges, or
// nil.
func hopMetrics(topo platform.Topology) *platform.HopMetrics {
	if gh, ok := topo.(platform.GraphHops); ok {
		return gh.GraphHops()
	}
	return nil
}

// scrapeHops reads the request duration histograms of every sidecar hm
// names.
func scrapeHops(ctx context.Context, hm *platform.HopMetrics) (hopScrape, error) {
	out := hopScrape{}
	for _, h := range hm.Hops {
		for _, s := range append(append([]platform.HopSeries(nil), h.Caller...), h.Callee...) {
			if _, done := out[s.MetricsURL]; done {
				continue
			}
			m, err := measure.ScrapeHistograms(ctx, s.MetricsURL, hm.Family, hm.DirectionLabel, hm.ClusterLabel)
			if err != nil {
				return nil, err
			}
			out[s.MetricsURL] = m
		}
	}
	return out, nil
}

// sum adds the window's observations (after - before) of the series, in
// direction.
func (after hopScrape) sum(before hopScrape, direction string, series []platform.HopSeries) *measure.Hist {
	total := &measure.Hist{}
	for _, s := range series {
		for k, h := range after[s.MetricsURL] {
			if k.Direction != direction || (s.Cluster != "" && k.Cluster != s.Cluster) {
				continue
			}
			// Buckets are the proxy's, fixed: an error here cannot happen
			// between series of one family.
			_ = total.Add(h.Sub(before[s.MetricsURL][k]))
		}
	}
	return total
}

// attachHops sets each graph edge's hop latency over the measured window.
func attachHops(res *results.Result, hm *platform.HopMetrics, before, after hopScrape) {
	const ms = 1000
	byEdge := map[[2]string]platform.GraphHop{}
	for _, h := range hm.Hops {
		byEdge[[2]string{h.From, h.To}] = h
	}
	for i, e := range res.GraphEdges {
		h, ok := byEdge[[2]string{e.From, e.To}]
		if !ok {
			continue
		}
		caller := after.sum(before, hm.Outbound, h.Caller)
		if caller.Count == 0 {
			continue
		}
		callee := after.sum(before, hm.Inbound, h.Callee)
		hop := &results.HopLatency{Requests: int64(caller.Count), MeanMs: caller.Mean() * ms,
			P50Ms: caller.Quantile(0.5) * ms, P90Ms: caller.Quantile(0.9) * ms, P99Ms: caller.Quantile(0.99) * ms,
			CalleeMeanMs: callee.Mean() * ms}
		hop.HopMeanMs = hop.MeanMs - hop.CalleeMeanMs
		res.GraphEdges[i].Hop = hop
	}
}
