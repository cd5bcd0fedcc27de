package digest

import (
	"cmp"
	"slices"
	"sort"

	"github.com/meshbench/meshbench/harness/results"
)

// condense computes the group's medians from its valid runs.
func (g *Group) condense() {
	n := len(g.Runs)
	if n == 0 {
		return
	}
	pick := func(f func(*results.Result) float64) float64 {
		vs := make([]float64, n)
		for i, r := range g.Runs {
			vs[i] = f(r)
		}
		return Median(vs)
	}
	g.Latency = results.Percentiles{
		P50:  pick(func(r *results.Result) float64 { return r.Latency.P50 }),
		P75:  pick(func(r *results.Result) float64 { return r.Latency.P75 }),
		P90:  pick(func(r *results.Result) float64 { return r.Latency.P90 }),
		P99:  pick(func(r *results.Result) float64 { return r.Latency.P99 }),
		P999: pick(func(r *results.Result) float64 { return r.Latency.P999 }),
		Max:  pick(func(r *results.Result) float64 { return r.Latency.Max }),
	}
	if !slices.ContainsFunc(g.Runs, func(r *results.Result) bool { return r.LatencyScheduled == nil }) {
		g.Scheduled = &results.Percentiles{
			P50:  pick(func(r *results.Result) float64 { return r.LatencyScheduled.P50 }),
			P75:  pick(func(r *results.Result) float64 { return r.LatencyScheduled.P75 }),
			P90:  pick(func(r *results.Result) float64 { return r.LatencyScheduled.P90 }),
			P99:  pick(func(r *results.Result) float64 { return r.LatencyScheduled.P99 }),
			P999: pick(func(r *results.Result) float64 { return r.LatencyScheduled.P999 }),
			Max:  pick(func(r *results.Result) float64 { return r.LatencyScheduled.Max }),
		}
	}
	g.AchievedQPS = pick(func(r *results.Result) float64 { return r.AchievedQPS })
	merged := map[[2]float64]int64{}
	byRole := map[string][]results.Component{}
	for _, r := range g.Runs {
		g.Requests += r.Requests
		g.Errors += r.Errors
		for _, b := range r.Histogram.Buckets {
			merged[[2]float64{b.Start, b.End}] += b.Count
		}
		for _, c := range r.Components {
			byRole[c.Role] = append(byRole[c.Role], c)
		}
	}
	for k, c := range merged {
		g.Histogram = append(g.Histogram, results.Bucket{Start: k[0], End: k[1], Count: c})
	}
	sort.Slice(g.Histogram, func(i, j int) bool {
		return g.Histogram[i].End < g.Histogram[j].End || g.Histogram[i].End == g.Histogram[j].End && g.Histogram[i].Start < g.Histogram[j].Start
	})
	for role, cs := range byRole {
		st := ComponentStat{Role: role, Name: cs[0].Name, CPUSource: cs[0].CPUSource}
		var us, rss []float64
		for _, c := range cs {
			us = append(us, c.CPUUsPerRequest)
			rss = append(rss, float64(c.RSSBytesSteady))
			st.VCPUSamples = append(st.VCPUSamples, c.VCPUPer1000RPS)
			st.RSSPeakBytes = max(st.RSSPeakBytes, c.RSSBytesPeak)
		}
		st.CPUUsPerRequest, st.VCPUPer1000RPS, st.RSSSteadyBytes = Median(us), Median(st.VCPUSamples), Median(rss)
		g.Components = append(g.Components, st)
	}
	slices.SortFunc(g.Components, func(a, b ComponentStat) int { return cmp.Compare(roleRank(a.Role), roleRank(b.Role)) })
}

// Component returns the group's stat for role, or nil.
func (g *Group) Component(role string) *ComponentStat {
	for i := range g.Components {
		if g.Components[i].Role == role {
			return &g.Components[i]
		}
	}
	return nil
}
