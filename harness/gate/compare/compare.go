package compare

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/meshbench/meshbench/harness/gate/verdict"
	catalog "github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

// ErrCrossMachine is returned when base and candidate were measured on
// different machines: absolute numbers from two machines say nothing about
// a code change.
var ErrCrossMachine = errors.New("base and candidate come from different machines")

// Options configure a comparison.
type Options struct {
	BaseLabel, CandidateLabel, Scenario string
	Thresholds                          verdict.Thresholds // normalized by Compare
	// Look is 1, or 2 for the decision after the pre-declared extension.
	Look int
	// AllowCrossMachine compares results from different machines anyway
	// (the comparison then carries a note saying so).
	AllowCrossMachine bool
	Now               func() time.Time
}

// Compare judges candidate against base.
func Compare(base, cand []*results.Result, o Options) (*results.Comparison, error) {
	th, err := o.Thresholds.Normalize()
	if err != nil {
		return nil, err
	}
	if o.Look == 0 {
		o.Look = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &results.Comparison{Schema: results.ComparisonSchema, Created: o.Now().UTC(),
		Base: o.BaseLabel, Candidate: o.CandidateLabel, Scenario: o.Scenario,
		Alpha: th.Alpha, Extended: o.Look > 1}
	if len(base) == 0 || len(cand) == 0 {
		return nil, fmt.Errorf("compare: %d base and %d candidate results: need runs on both sides", len(base), len(cand))
	}
	if why := machineDifference(base, cand); why != "" {
		if !o.AllowCrossMachine {
			return nil, fmt.Errorf("%w (%s); re-run both on one machine, or pass --allow-cross-machine to compare anyway", ErrCrossMachine, why)
		}
		c.Notes = append(c.Notes, "cross-machine comparison allowed by the user: "+why)
	}
	noValid := noValidRuns(base, cand, th.BehindTolerance)
	failB, failC := failedOnly(base), failedOnly(cand)
	base, nb, kb := usableOnly(base, th.BehindTolerance)
	cand, nc, kc := usableOnly(cand, th.BehindTolerance)
	if nb+nc > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("dropped %d base and %d candidate runs marked invalid (%d and %d of them failed: they count in %s)",
			nb, nc, len(failB), len(failC), catalog.ErrorRate().Name))
	}
	if kb+kc > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("kept %d base and %d candidate runs whose load generator fell behind by less than %.0f%%", kb, kc, 100*th.BehindTolerance))
	}
	if len(base)+len(failB) == 0 || len(cand)+len(failC) == 0 {
		return nil, fmt.Errorf("compare: no usable runs on one side (%d base, %d candidate)", len(base), len(cand))
	}
	c.Reasons = append(failureReasons("base", failB), failureReasons("candidate", failC)...)
	if len(cand) > 0 {
		c.Environment = cand[0].Environment
	} else {
		c.Environment = failC[0].Environment
	}
	if c.Scenario == "" {
		c.Scenario = firstScenario(cand, failC)
	}
	c.Seed = firstSeed(cand, failC)

	bg, cg := groupByKey(base), groupByKey(cand)
	// Error rates come from usable and failed runs alike.
	eb, ec := groupByKey(append(slices.Clone(base), failB...)), groupByKey(append(slices.Clone(cand), failC...))
	var inputs []verdict.Input
	for _, key := range sortedKeys(eb) {
		if _, ok := ec[key]; !ok {
			if noValid[key] == "" {
				c.Notes = append(c.Notes, "group "+key+" has no candidate runs")
			}
			continue
		}
		if br, cr := bg[key], cg[key]; len(br) > 0 && len(cr) > 0 {
			inputs = append(inputs, groupInputs(key, br, cr, th)...)
		}
		inputs = append(inputs, errorRateInput(key, eb[key], ec[key], th))
	}
	for _, key := range sortedKeys(ec) {
		if _, ok := eb[key]; !ok && noValid[key] == "" {
			c.Notes = append(c.Notes, "group "+key+" has no base runs")
		}
	}
	for _, key := range slices.Sorted(maps.Keys(noValid)) {
		c.Notes = append(c.Notes, noValid[key])
	}
	if len(inputs) == 0 {
		return nil, errors.New("compare: no lane/case present on both sides")
	}
	c.Metrics, _ = verdict.Decide(inputs, th, o.Look)
	c.Reasons = append(c.Reasons, referenceMoved(c.Metrics, th, bg, cg)...)
	c.Verdict = verdict.Overall(c.Metrics)
	c.Notes = append(c.Notes, referenceNotes(c.Metrics, th.Reference)...)
	if len(base) > 0 && len(cand) > 0 && base[0].Schema != cand[0].Schema {
		c.Notes = append(c.Notes, fmt.Sprintf("base results are %s, candidate %s: latency percentiles and scheduled latency are defined differently (docs/results.md)", base[0].Schema, cand[0].Schema))
	}
	for _, m := range c.Metrics {
		if m.Gated {
			c.Rounds = max(c.Rounds, min(m.NBase, m.NCand))
		}
	}
	return c, nil
}

// groupInputs builds the verdict inputs for one lane/case.
func groupInputs(key string, base, cand []*results.Result, th verdict.Thresholds) []verdict.Input {
	var in []verdict.Input
	for _, d := range metricDefs(rolesOf(base, cand), newReference(th.Reference, base, cand)) {
		b, c := values(base, d), values(cand, d)
		if len(b) == 0 && len(c) == 0 {
			continue
		}
		in = append(in, verdict.Input{Group: key, Metric: d.Name, Unit: d.Unit, Base: b, Candidate: c,
			Threshold: d.Threshold(th), AbsFloor: d.AbsFloor(th)})
	}
	return in
}

func values(rs []*results.Result, d catalog.Metric) []float64 {
	var out []float64
	for _, r := range rs {
		if v, ok := d.Get(r); ok {
			out = append(out, v)
		}
	}
	return out
}

func rolesOf(sets ...[]*results.Result) []string {
	var roles []string
	for _, rs := range sets {
		for _, r := range rs {
			for _, c := range r.Components {
				if !slices.Contains(roles, c.Role) {
					roles = append(roles, c.Role)
				}
			}
		}
	}
	sort.Strings(roles)
	return roles
}

// behindPrefix starts the invalid reason harness/run gives a run whose load
// generator fell behind its schedule.
const behindPrefix = "load generator fell behind"

// Usable reports whether a run is evidence for the gate: valid, or invalid
// only because the load generator fell behind by less than tolerance.
func Usable(r *results.Result, tolerance float64) bool {
	if r.Valid {
		return true
	}
	if tolerance <= 0 || r.TargetQPS <= 0 || r.AchievedQPS < (1-tolerance)*r.TargetQPS || len(r.InvalidReasons) == 0 {
		return false
	}
	for _, why := range r.InvalidReasons {
		if !strings.HasPrefix(why, behindPrefix) {
			return false
		}
	}
	return true
}

// usableOnly keeps the usable runs; it returns how many it dropped and
// how many invalid runs it kept.
func usableOnly(rs []*results.Result, tolerance float64) (out []*results.Result, dropped, kept int) {
	for _, r := range rs {
		switch {
		case r.Valid:
			out = append(out, r)
		case Usable(r, tolerance):
			out = append(out, r)
			kept++
		default:
			dropped++
		}
	}
	return out, dropped, kept
}

func groupByKey(rs []*results.Result) map[string][]*results.Result {
	g := map[string][]*results.Result{}
	for _, r := range rs {
		g[r.Key()] = append(g[r.Key()], r)
	}
	return g
}

func sortedKeys(m map[string][]*results.Result) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// machineDifference explains how the machines behind two result sets
// differ, or returns "" when every result comes from one machine.
func machineDifference(base, cand []*results.Result) string {
	ref := base[0].Environment
	for _, r := range append(slices.Clone(base), cand...) {
		e := r.Environment
		var diffs []string
		if e.MachineID != ref.MachineID {
			diffs = append(diffs, fmt.Sprintf("machine id %q vs %q", ref.MachineID, e.MachineID))
		}
		if e.CPUModel != ref.CPUModel {
			diffs = append(diffs, fmt.Sprintf("CPU %q vs %q", ref.CPUModel, e.CPUModel))
		}
		if e.Cores != ref.Cores {
			diffs = append(diffs, fmt.Sprintf("%d vs %d cores", ref.Cores, e.Cores))
		}
		if e.Kernel != ref.Kernel {
			diffs = append(diffs, fmt.Sprintf("kernel %q vs %q", ref.Kernel, e.Kernel))
		}
		if len(diffs) > 0 {
			return strings.Join(diffs, ", ")
		}
	}
	return ""
}

// SplitByLabel partitions results by the value of a label (the gate labels
// its runs build=base|candidate).
func SplitByLabel(rs []*results.Result, label string) map[string][]*results.Result {
	out := map[string][]*results.Result{}
	for _, r := range rs {
		out[r.Labels[label]] = append(out[r.Labels[label]], r)
	}
	return out
}

// referenceNotes explains the machine-speed adjustment (referenceMoved
// judges whether the reference itself moved).
func referenceNotes(ms []results.MetricComparison, role string) []string {
	for _, m := range ms {
		if strings.HasPrefix(m.Metric, AdjustedPrefix) {
			return []string{fmt.Sprintf("adj_ rows: CPU per request and latency adjusted for machine speed by the %s's CPU per request in the same run (gated); their raw rows are report-only", role)}
		}
	}
	return nil
}

func firstScenario(sets ...[]*results.Result) string {
	for _, rs := range sets {
		if len(rs) > 0 {
			return rs[0].Scenario
		}
	}
	return ""
}

func firstSeed(sets ...[]*results.Result) int64 {
	for _, rs := range sets {
		if len(rs) > 0 {
			return rs[0].Seed
		}
	}
	return 0
}
