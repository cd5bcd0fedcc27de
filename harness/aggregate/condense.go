package aggregate

import (
	"cmp"
	"slices"
	"sort"

	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/results"
)

// ComponentStat is one role's cost in a group: per run, the sum over the
// role's components (a service graph has one sidecar and one app per
// service: their cost per entry request together), then the median over
// the group's valid runs.
type ComponentStat struct {
	Role            string
	Name            string // of the first component of the role
	CPUUsPerRequest float64
	VCPUPer1000RPS  float64
	RSSSteadyBytes  float64 // median of the steady (median-sampled) RSS
	RSSPeakBytes    int64   // the highest peak of any run
	RSSPeakMedian   float64 // median of the runs' peaks
	PSSSteadyBytes  float64 // median of the steady proportional set size; 0 when unknown
	CPUSource       string
	// Per-run values, for fits and spreads.
	VCPUSamples []float64
}

// condense computes the group's medians from its valid runs.
func (g *Group) condense() {
	if len(g.Runs) == 0 {
		return
	}
	pick := func(f func(*results.Result) float64) float64 { return median(g.Runs, f) }
	pcts := func(p func(*results.Result) *results.Percentiles) results.Percentiles {
		return results.Percentiles{
			P50:  pick(func(r *results.Result) float64 { return p(r).P50 }),
			P75:  pick(func(r *results.Result) float64 { return p(r).P75 }),
			P90:  pick(func(r *results.Result) float64 { return p(r).P90 }),
			P99:  pick(func(r *results.Result) float64 { return p(r).P99 }),
			P999: pick(func(r *results.Result) float64 { return p(r).P999 }),
			Max:  pick(func(r *results.Result) float64 { return p(r).Max }),
		}
	}
	g.Latency = pcts(func(r *results.Result) *results.Percentiles { return &r.Latency })
	if !slices.ContainsFunc(g.Runs, func(r *results.Result) bool { return r.LatencyScheduled == nil }) {
		s := pcts(func(r *results.Result) *results.Percentiles { return r.LatencyScheduled })
		g.Scheduled = &s
	}
	g.AchievedQPS = pick(func(r *results.Result) float64 { return r.AchievedQPS })
	merged := map[[2]float64]int64{}
	var roles []string
	for _, r := range g.Runs {
		g.Requests += r.Requests
		g.Errors += r.Errors
		for _, b := range r.Histogram.Buckets {
			merged[[2]float64{b.Start, b.End}] += b.Count
		}
		for _, c := range r.Components {
			if !slices.Contains(roles, c.Role) {
				roles = append(roles, c.Role)
			}
		}
	}
	for k, c := range merged {
		g.Histogram = append(g.Histogram, results.Bucket{Start: k[0], End: k[1], Count: c})
	}
	sort.Slice(g.Histogram, func(i, j int) bool {
		return g.Histogram[i].End < g.Histogram[j].End || g.Histogram[i].End == g.Histogram[j].End && g.Histogram[i].Start < g.Histogram[j].Start
	})
	for _, role := range roles {
		g.Components = append(g.Components, g.componentStat(role))
	}
	slices.SortFunc(g.Components, func(a, b ComponentStat) int { return cmp.Compare(roleRank(a.Role), roleRank(b.Role)) })
}

func (g *Group) componentStat(role string) ComponentStat {
	// Only the runs that measured the role: a run that lacks it says
	// nothing about its cost.
	var with []*results.Result
	for _, r := range g.Runs {
		if r.Component(role) != nil {
			with = append(with, r)
		}
	}
	first := with[0].Component(role)
	st := ComponentStat{Role: role, Name: first.Name, CPUSource: first.CPUSource}
	sum := func(f func(*results.Component) float64) func(*results.Result) float64 {
		return func(r *results.Result) float64 {
			var total float64
			for i := range r.Components {
				if r.Components[i].Role == role {
					total += f(&r.Components[i])
				}
			}
			return total
		}
	}
	for _, r := range with {
		st.VCPUSamples = append(st.VCPUSamples, sum(func(c *results.Component) float64 { return c.VCPUPer1000RPS })(r))
		st.RSSPeakBytes = max(st.RSSPeakBytes, int64(sum(func(c *results.Component) float64 { return float64(c.RSSBytesPeak) })(r)))
	}
	st.CPUUsPerRequest = median(with, sum(func(c *results.Component) float64 { return c.CPUUsPerRequest }))
	st.VCPUPer1000RPS = stats.Median(st.VCPUSamples)
	st.RSSSteadyBytes = median(with, sum(func(c *results.Component) float64 { return float64(c.RSSBytesSteady) }))
	st.RSSPeakMedian = median(with, sum(func(c *results.Component) float64 { return float64(c.RSSBytesPeak) }))
	st.PSSSteadyBytes = median(with, sum(func(c *results.Component) float64 { return float64(c.PSSBytesSteady) }))
	return st
}

// median of f over rs (which must not be empty).
func median(rs []*results.Result, f func(*results.Result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	return stats.Median(v)
}
