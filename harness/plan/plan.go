package plan

import (
	"fmt"
	"math/rand/v2"
	"strings"
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
}

// LaneKey is lane[/mode].
func (r Run) LaneKey() string {
	if r.Mode == "" {
		return r.Lane
	}
	return r.Lane + "/" + r.Mode
}

func (r Run) String() string {
	return fmt.Sprintf("%s %s rep %d", r.LaneKey(), r.Case.Name, r.Repetition)
}

// Cases expands the scenario's matrix in a stable order.
func Cases(m scenario.Matrix) []results.Case {
	var out []results.Case
	for _, proto := range m.Protocol {
		for _, mtls := range m.MTLS {
			for _, size := range m.PayloadBytes {
				for _, qps := range m.QPS {
					for _, conns := range m.Connections {
						c := results.Case{QPS: qps, Connections: conns, PayloadBytes: size, Protocol: proto, MTLS: mtls}
						c.Name = CaseName(c)
						out = append(out, c)
					}
				}
			}
		}
	}
	return out
}

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
	return n
}

// SplitLane splits "mesh/both" into ("mesh", "both").
func SplitLane(l string) (lane, mode string) {
	lane, mode, _ = strings.Cut(l, "/")
	return lane, mode
}

// Build expands s into runs for the given lanes (s.Lanes when empty) and seed.
func Build(s *scenario.Scenario, lanes []string, seed int64) ([]Run, error) {
	if len(lanes) == 0 {
		lanes = s.Lanes
	}
	for i, l := range lanes {
		if l == "mesh" {
			lanes[i] = "mesh/both"
		}
		if !scenario.KnownLane(lanes[i]) {
			return nil, fmt.Errorf("--lanes: unknown lane %q", l)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d657368))
	var runs []Run
	for rep := 1; rep <= s.Repetitions; rep++ {
		for _, c := range Cases(s.Matrix) {
			order := append([]string(nil), lanes...)
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for _, l := range order {
				lane, mode := SplitLane(l)
				runs = append(runs, Run{Order: len(runs), Lane: lane, Mode: mode, Case: c, Repetition: rep})
			}
		}
	}
	return runs, nil
}

// Estimate is the expected wall time of runs, given per-run overhead.
func Estimate(s *scenario.Scenario, runs int, overhead time.Duration) time.Duration {
	return time.Duration(runs) * (s.Warmup.Duration + s.Duration.Duration + overhead)
}
