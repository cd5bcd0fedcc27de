package aggregate

import (
	"cmp"
	"slices"
	"sort"

	"github.com/meshbench/meshbench/harness/metric"
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
	// RSSWindowPeakBytes is the highest RSS sampled in any run's measured
	// window (RSSPeakBytes may be set while starting); 0 when unknown.
	RSSWindowPeakBytes int64
	PSSSteadyBytes     float64 // median of the steady proportional set size; 0 when unknown
	AnonSteadyBytes    float64 // median of the steady anonymous RSS; 0 when unknown
	CPUSource          string
	// KernelUsPerRequest and KernelSharePct are the kernel (system) part
	// of CPUUsPerRequest and its share in percent, medians over the runs
	// that split it; Split is false when none did, and NoSplit then says
	// why (the first reason a run recorded; "" for results written before
	// the split existed, which say nothing). Reported, never gated.
	KernelUsPerRequest float64
	KernelSharePct     float64
	Split              bool
	NoSplit            string
	// Per-run values, for fits and spreads.
	VCPUSamples []float64
}

// condense merges the group's histograms and takes each role's costs from
// its valid runs.
func (g *Group) condense() {
	if len(g.Runs) == 0 {
		return
	}
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
	var first *results.Component
	for _, r := range g.Runs {
		if first = r.Component(role); first != nil {
			break
		}
	}
	st := ComponentStat{Role: role, Name: first.Name, CPUSource: first.CPUSource,
		CPUUsPerRequest: g.Value(metric.CPU(role)), VCPUPer1000RPS: g.Value(metric.VCPU(role)),
		RSSSteadyBytes: g.Value(metric.RSSSteady(role)), RSSPeakMedian: g.Value(metric.RSSPeak(role)),
		PSSSteadyBytes: g.Value(metric.PSSSteady(role)), AnonSteadyBytes: g.Value(metric.RSSAnon(role))}
	st.KernelUsPerRequest, st.Split = g.Median(metric.CPUSystem(role))
	st.KernelSharePct, _ = g.Median(metric.KernelShare(role))
	if !st.Split {
		st.NoSplit = g.noSplit(role)
	}
	vcpu, peak, windowPeak := metric.VCPU(role), metric.RSSPeak(role), metric.RSSWindowPeak(role)
	for _, r := range g.Runs {
		if v, ok := vcpu.Get(r); ok {
			st.VCPUSamples = append(st.VCPUSamples, v)
		}
		if v, ok := peak.Get(r); ok {
			st.RSSPeakBytes = max(st.RSSPeakBytes, int64(v))
		}
		if v, ok := windowPeak.Get(r); ok {
			st.RSSWindowPeakBytes = max(st.RSSWindowPeakBytes, int64(v))
		}
	}
	return st
}

// noSplit is why role's CPU has no kernel part in the group: the first
// reason a run recorded, "" when none did (results older than the split).
func (g *Group) noSplit(role string) string {
	for _, r := range g.Runs {
		for _, c := range r.Components {
			if c.Role == role && c.CPUSplitAbsent != "" {
				return c.CPUSplitAbsent
			}
		}
	}
	return ""
}
