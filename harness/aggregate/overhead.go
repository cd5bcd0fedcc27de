package aggregate

import (
	"math"
	"strings"

	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

// Overhead is what one lane adds over the `none` lane in the same case,
// measured side by side in the same run: the only overhead figures that are
// comparable at all. Only groups with valid runs on both sides have one.
type Overhead struct {
	Lane string
	Case results.Case
	// Added is the latency the lane adds, one per metric of AddedMetrics,
	// in its order.
	Added        []Added
	Proxies      []ProxyCost // one per proxy role the lane has
	NoneRuns     int
	LaneRuns     int
	ErrorsInLane int64
}

// Added is what a lane adds to one metric over `none`, in its unit.
type Added struct {
	Metric metric.Metric
	Value  float64
}

// AddedMetrics are the metrics an overhead is stated in: the catalog's
// latency percentiles the gate decides on (p50, p90, p99).
func AddedMetrics() []metric.Metric { return metric.Gated(metric.Latency()) }

// AddedLabels are AddedMetrics' labels joined by sep ("p50 / p90 / p99").
func AddedLabels(sep string) string {
	var labels []string
	for _, m := range AddedMetrics() {
		labels = append(labels, m.Label)
	}
	return strings.Join(labels, sep)
}

// AddedTo is what the lane adds to m; NaN when the overhead is not stated
// in m.
func (o Overhead) AddedTo(m metric.Metric) float64 {
	for _, a := range o.Added {
		if a.Metric.Name == m.Name {
			return a.Value
		}
	}
	return math.NaN()
}

// ProxyCost is one proxy's cost per unit of load.
type ProxyCost struct {
	Role           string
	Name           string
	VCPUPer1000RPS float64
	RSSSteadyMiB   float64
	// KernelSharePct is the kernel share of its CPU, when Split
	// (ComponentStat); reported, never gated.
	KernelSharePct float64
	Split          bool
	NoSplit        string
}

// Overheads returns the overhead of every lane over the `none` lane of the
// same build in case c; nil when c has no `none` group with a valid run.
func (s *Set) Overheads(c results.Case) []Overhead {
	var out []Overhead
	for _, lane := range s.Lanes {
		name, variant := SplitLane(lane)
		base := s.Group(JoinLane("none", variant), c)
		g := s.Group(lane, c)
		if name == "none" || g == nil || !g.Valid() || base == nil || !base.Valid() {
			continue
		}
		o := Overhead{Lane: lane, Case: c, NoneRuns: len(base.Runs), LaneRuns: len(g.Runs), ErrorsInLane: g.Errors}
		for _, m := range AddedMetrics() {
			o.Added = append(o.Added, Added{Metric: m, Value: g.Value(m) - base.Value(m)})
		}
		for _, cs := range g.Components {
			if IsProxyRole(cs.Role) {
				o.Proxies = append(o.Proxies, ProxyCost{Role: cs.Role, Name: cs.Name,
					VCPUPer1000RPS: cs.VCPUPer1000RPS, RSSSteadyMiB: cs.RSSSteadyBytes / (1 << 20),
					KernelSharePct: cs.KernelSharePct, Split: cs.Split, NoSplit: cs.NoSplit})
			}
		}
		out = append(out, o)
	}
	return out
}
