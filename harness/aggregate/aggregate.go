package aggregate

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

// Set is a set of results grouped by lane and case.
type Set struct {
	Lanes   []string       // lane labels ("none", "mesh/both", "mesh/both @candidate"), none first
	Cases   []results.Case // distinct load cases, in matrix order
	Groups  []*Group       // one per lane and case that has at least one run, in case then lane order
	Invalid []InvalidRun   // every invalid run, in input order
}

// InvalidRun is a run excluded from every median.
type InvalidRun struct {
	Key     string
	Order   int
	Reasons []string
}

// Group is every run of one lane in one case. Its numbers are medians over
// the valid runs only (Median, for any metric of the catalog); with no
// valid run it has none (Valid() is false).
type Group struct {
	Lane       string
	Case       results.Case
	Runs       []*results.Result // valid runs only
	Invalid    int
	Reasons    []string         // distinct reasons of the invalid runs
	Requests   int64            // sum
	Errors     int64            // sum
	Histogram  []results.Bucket // merged over runs, sorted by End
	Components []ComponentStat  // by role order
}

// Build groups rs by lane (with the build variant when rs mix builds) and
// case and takes the medians. Control-plane runs measure convergence, not
// the data path: they are counted (lanes, invalid runs) but not grouped.
func Build(rs []*results.Result) *Set {
	s := &Set{}
	groups := map[string]*Group{}
	label := Labeler(rs)
	for _, r := range rs {
		lane := label(r)
		if !slices.Contains(s.Lanes, lane) {
			s.Lanes = append(s.Lanes, lane)
		}
		if !r.Valid {
			s.Invalid = append(s.Invalid, InvalidRun{Key: r.Key(), Order: r.Order, Reasons: r.InvalidReasons})
		}
		if r.ControlPlane != nil {
			continue
		}
		if !slices.Contains(s.Cases, r.Case) {
			s.Cases = append(s.Cases, r.Case)
		}
		key := lane + "\x00" + r.Case.Name + fmt.Sprint(r.Case)
		g := groups[key]
		if g == nil {
			g = &Group{Lane: lane, Case: r.Case}
			groups[key] = g
			s.Groups = append(s.Groups, g)
		}
		if !r.Valid {
			g.Invalid++
			for _, why := range r.InvalidReasons {
				if !slices.Contains(g.Reasons, why) {
					g.Reasons = append(g.Reasons, why)
				}
			}
			continue
		}
		g.Runs = append(g.Runs, r)
	}
	slices.SortStableFunc(s.Lanes, func(a, b string) int { return cmp.Compare(laneRank(a), laneRank(b)) })
	slices.SortStableFunc(s.Cases, compareCases)
	for _, g := range s.Groups {
		g.condense()
	}
	slices.SortStableFunc(s.Groups, func(a, b *Group) int {
		if c := compareCases(a.Case, b.Case); c != 0 {
			return c
		}
		return cmp.Compare(laneRank(a.Lane), laneRank(b.Lane))
	})
	return s
}

// Group returns the group of lane in case c, or nil.
func (s *Set) Group(lane string, c results.Case) *Group {
	for _, g := range s.Groups {
		if g.Lane == lane && g.Case == c {
			return g
		}
	}
	return nil
}

// Valid reports whether the group has a valid run, and so numbers.
func (g *Group) Valid() bool { return len(g.Runs) > 0 }

// Median is m's median over the group's valid runs that have it; false
// when none has it (or the group has no valid run).
func (g *Group) Median(m metric.Metric) (float64, bool) {
	var v []float64
	for _, r := range g.Runs {
		if x, ok := m.Get(r); ok {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return 0, false
	}
	return stats.Median(v), true
}

// Value is m's median, 0 when the group has none: for tables and plots
// that only show groups with valid runs.
func (g *Group) Value(m metric.Metric) float64 {
	v, _ := g.Median(m)
	return v
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
