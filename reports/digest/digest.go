package digest

import (
	"fmt"
	"slices"
	"time"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/telemetrycost"
)

// Digest is a set of results condensed for reporting: the one aggregation
// (lanes, cases, groups with their medians, invalid runs, overheads) and
// what a report adds around it.
type Digest struct {
	aggregate.Set
	Scenarios    []string // distinct scenario names, in order of appearance
	Kinds        []string
	Platforms    []string
	Environments []results.Environment
	Mesh         map[string]*results.MeshFeatures // by lane label, from the first run that has it
	Runs         int                              // all runs, valid or not
	Repetitions  int                              // the highest repetition count of any group
	WarmupS      float64
	DurationS    float64
	Seeds        []int64
	First, Last  time.Time
	ControlPlane []*results.Result // runs that carry a control-plane record
	Resilience   []*results.Result // runs that carry a resilience record (fault timeline)
	// Telemetry is the telemetry-cost table of runs with telemetry
	// variants (matrix.telemetry), one per lane and load case.
	Telemetry []telemetrycost.Table
}

// The groups and overheads are the aggregation's own.
type (
	Group         = aggregate.Group
	ComponentStat = aggregate.ComponentStat
	InvalidRun    = aggregate.InvalidRun
	Overhead      = aggregate.Overhead
	ProxyCost     = aggregate.ProxyCost
)

// Build condenses rs. It never fails: absent data yields empty fields that
// the renderers omit with a note.
func Build(rs []*results.Result) *Digest {
	d := &Digest{Set: *aggregate.Build(rs), Mesh: map[string]*results.MeshFeatures{}, Runs: len(rs), Telemetry: telemetrycost.Build(rs)}
	for _, g := range d.Groups {
		d.Repetitions = max(d.Repetitions, len(g.Runs)+g.Invalid)
	}
	seenEnv := map[string]bool{}
	label := aggregate.Labeler(rs)
	for _, r := range rs {
		d.Scenarios = appendNew(d.Scenarios, r.Scenario)
		d.Kinds = appendNew(d.Kinds, r.ScenarioKind)
		d.Platforms = appendNew(d.Platforms, r.Platform)
		envKey := r.Environment.MachineID + "|" + r.Environment.GitRevision
		if !seenEnv[envKey] {
			seenEnv[envKey] = true
			d.Environments = append(d.Environments, r.Environment)
		}
		if lane := label(r); r.Mesh != nil && d.Mesh[lane] == nil {
			d.Mesh[lane] = r.Mesh
		}
		if !slices.Contains(d.Seeds, r.Seed) {
			d.Seeds = append(d.Seeds, r.Seed)
		}
		d.WarmupS, d.DurationS = max(d.WarmupS, r.WarmupS), max(d.DurationS, r.DurationS)
		if d.First.IsZero() || r.Started.Before(d.First) {
			d.First = r.Started
		}
		if r.Started.After(d.Last) {
			d.Last = r.Started
		}
		if r.ControlPlane != nil {
			// A control-plane run measures convergence, not the data path:
			// it has its own table and plot, and no latency to aggregate.
			d.ControlPlane = append(d.ControlPlane, r)
		}
		if r.Resilience != nil {
			d.Resilience = append(d.Resilience, r)
		}
	}
	return d
}

func appendNew(xs []string, x string) []string {
	if x == "" || slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// CaseLabel is a short human description of a case.
func CaseLabel(c results.Case) string {
	qps := "max qps"
	if c.QPS > 0 {
		qps = fmt.Sprintf("%g qps", c.QPS)
	}
	tls := ""
	if c.MTLS {
		tls = " · mTLS"
	}
	return fmt.Sprintf("%s · %d conn · %d B · %s%s", qps, c.Connections, c.PayloadBytes, c.Protocol, tls)
}

// Display converts a value in a comparison's unit to the unit a reader
// wants: bytes become MiB; everything else is shown as is.
func Display(v float64, unit string) (float64, string) {
	if unit == "B" {
		return v / (1 << 20), "MiB"
	}
	return v, unit
}
