package aggregate

import (
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

// Overhead is what one lane adds over the `none` lane in the same case,
// measured side by side in the same run: the only overhead figures that are
// comparable at all. Only groups with valid runs on both sides have one.
type Overhead struct {
	Lane         string
	Case         results.Case
	AddedP50Ms   float64
	AddedP90Ms   float64
	AddedP99Ms   float64
	Proxies      []ProxyCost // one per proxy role the lane has
	NoneRuns     int
	LaneRuns     int
	ErrorsInLane int64
}

// ProxyCost is one proxy's cost per unit of load.
type ProxyCost struct {
	Role           string
	Name           string
	VCPUPer1000RPS float64
	RSSSteadyMiB   float64
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
		added := func(m metric.Metric) float64 { return g.Value(m) - base.Value(m) }
		o := Overhead{
			Lane: lane, Case: c,
			AddedP50Ms: added(metric.P50()),
			AddedP90Ms: added(metric.P90()),
			AddedP99Ms: added(metric.P99()),
			NoneRuns:   len(base.Runs), LaneRuns: len(g.Runs), ErrorsInLane: g.Errors,
		}
		for _, cs := range g.Components {
			if IsProxyRole(cs.Role) {
				o.Proxies = append(o.Proxies, ProxyCost{Role: cs.Role, Name: cs.Name,
					VCPUPer1000RPS: cs.VCPUPer1000RPS, RSSSteadyMiB: cs.RSSSteadyBytes / (1 << 20)})
			}
		}
		out = append(out, o)
	}
	return out
}
