package plan

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

// Run is one planned run: one case, in one lane, once.
type Run struct {
	Order      int // 0-based position in the plan
	Lane       string
	Mode       string
	Case       results.Case
	Repetition int // 1-based
	// Unavailable, when set, is why the lane cannot do its job in this
	// case (from the lane catalog): the run keeps its place in the order
	// but is recorded as unavailable instead of being made.
	Unavailable string
}

// LaneKey is the run's lane label, lane[/mode].
func (r Run) LaneKey() string { return results.LaneLabel(r.Lane, r.Mode) }

func (r Run) String() string {
	return fmt.Sprintf("%s %s rep %d", r.LaneKey(), r.Case.Name, r.Repetition)
}

// Cases expands the scenario's matrix in a stable order, telemetry
// variants innermost.
func Cases(m scenario.Matrix) []results.Case {
	var out []results.Case
	for _, g := range caseGroups(m) {
		out = append(out, g...)
	}
	return out
}

// caseGroups expands the matrix into groups of cases that differ only in
// their telemetry variant (a group of one without matrix.telemetry).
func caseGroups(m scenario.Matrix) [][]results.Case {
	variants := m.Telemetry
	if len(variants) == 0 {
		variants = []string{""}
	}
	var out [][]results.Case
	for _, proto := range m.Protocol {
		for _, mtls := range m.MTLS {
			for _, size := range m.PayloadBytes {
				for _, qps := range m.QPS {
					for _, conns := range m.Connections {
						var g []results.Case
						for _, tel := range variants {
							c := results.Case{QPS: qps, Connections: conns, PayloadBytes: size, Protocol: proto, MTLS: mtls, Telemetry: tel}
							c.Name = CaseName(c)
							g = append(g, c)
						}
						out = append(out, g)
					}
				}
			}
		}
	}
	return out
}

// HasVariants reports whether a lane runs the mesh's telemetry variants:
// only the mesh lane's proxies have them; other lanes run once per group.
func HasVariants(lane string) bool { return lane == results.LaneMesh }

// CaseName is a short, file-name-safe name like "qps1000-c16-1024B-http1-mtls".
func CaseName(c results.Case) string {
	q := fmt.Sprintf("qps%g", c.QPS)
	if c.QPS < 0 {
		q = "qpsmax"
	}
	n := fmt.Sprintf("%s-c%d-%dB-%s", q, c.Connections, c.PayloadBytes, c.Protocol)
	if c.MTLS {
		n += "-mtls"
	}
	if c.Telemetry != "" {
		n += "-tel-" + c.Telemetry
	}
	return n
}

// Lanes returns the canonical labels of the lanes to run: override when
// set (the --lanes flag), else the scenario's; every label is checked
// against the lane catalog.
func Lanes(s *scenario.Scenario, override []string) ([]string, error) {
	src, field := s.Lanes, "lanes"
	if len(override) > 0 {
		src, field = override, "--lanes"
	}
	lanes := make([]string, 0, len(src))
	for _, l := range src {
		c, err := results.CanonicalLaneLabel(l)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		lanes = append(lanes, c)
	}
	return lanes, nil
}

// unavailable is why lane (a canonical label) cannot do its job in case c
// of s, or "".
func unavailable(s *scenario.Scenario, label string, c results.Case) string {
	lane, mode := results.SplitLaneLabel(label)
	spec, _ := results.LookupLane(lane)
	if s.Graph != nil && !spec.RunsGraph(mode) {
		return fmt.Sprintf("lane %s cannot run a service graph", label)
	}
	return spec.Unsupported(mode, c)
}

// Build expands s into runs for the given lanes (s.Lanes when empty) and
// seed. Runs a lane cannot do are kept in place, marked Unavailable, so the
// order of the others does not depend on which cases a lane supports.
func Build(s *scenario.Scenario, override []string, seed int64) ([]Run, error) {
	lanes, err := Lanes(s, override)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d657368))
	var runs []Run
	groups := caseGroups(s.Matrix)
	for rep := 1; rep <= s.Repetitions; rep++ {
		for _, g := range groups {
			// Every lane and variant of a group in one shuffled order: the
			// variants are compared with each other, so they interleave
			// like the gate's sides. Lanes without variants run once, in
			// the group's first case without its variant (the floor).
			type slot struct {
				label string
				c     results.Case
			}
			var order []slot
			for _, l := range lanes {
				lane, _ := results.SplitLaneLabel(l)
				if g[0].Telemetry != "" && !HasVariants(lane) {
					c := g[0]
					c.Telemetry = ""
					c.Name = CaseName(c)
					order = append(order, slot{l, c})
					continue
				}
				for _, c := range g {
					order = append(order, slot{l, c})
				}
			}
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for _, o := range order {
				lane, mode := results.SplitLaneLabel(o.label)
				runs = append(runs, Run{Order: len(runs), Lane: lane, Mode: mode, Case: o.c, Repetition: rep,
					Unavailable: unavailable(s, o.label, o.c)})
			}
		}
	}
	return runs, nil
}

// Estimate is the expected wall time of runs, given per-run overhead.
func Estimate(s *scenario.Scenario, runs int, overhead time.Duration) time.Duration {
	return time.Duration(runs) * (s.Warmup.Duration + s.Duration.Duration + overhead)
}
