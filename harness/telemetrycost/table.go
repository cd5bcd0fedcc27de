package telemetrycost

import (
	"slices"
	"strings"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

// Confidence of every interval in the table.
const Confidence = 0.95

// Columns are the table's metrics, in order: each proxy's CPU per request,
// then the latency percentiles the overhead over no mesh is stated in.
func Columns() []metric.Metric {
	return []metric.Metric{metric.CPU(results.RoleClientProxy), metric.CPU(results.RoleServerProxy), metric.P50(), metric.P90(), metric.P99()}
}

// Table is one lane's variants in one load case.
type Table struct {
	Lane string
	// Case is the load case without its variant.
	Case    results.Case
	Columns []metric.Metric
	// Rows in catalog order, the reference (TelemetryOff) first.
	Rows []Row
	// Floor is the no-mesh lane's group in the same case, when it ran.
	Floor *aggregate.Group
}

// Row is one variant.
type Row struct {
	Variant string
	// Runs: valid runs; Invalid: the others (never evidence).
	Runs, Invalid int
	// Cells follow Table.Columns.
	Cells []Cell
	// Spans sums the span checks of a tracing variant's runs (nil for a
	// variant that does not trace).
	Spans *Spans
}

// Cell is one metric of one variant.
type Cell struct {
	// Median over the variant's valid runs; Have is false when no run has
	// the metric.
	Median float64
	Have   bool
	// Added is the shift from the reference (variant - off), its interval
	// and achieved confidence; P the one-sided Mann-Whitney p-value that
	// the variant is larger. Compared is false for the reference itself
	// and when either side has no value.
	Added    stats.Shift
	P        float64
	Compared bool
}

// Spans is what the receiver saw over a variant's runs.
type Spans struct {
	SamplingPercent         float64
	Runs                    int // runs with a span check
	Spans, Traces, Complete int
	Expected                float64
	BrokenLinks, BadRoots   int
	WithinBounds            int // runs whose trace count fell inside its bounds
	Problems                []string
}

// OK reports whether every run's spans passed every check.
func (s *Spans) OK() bool { return s.Runs > 0 && len(s.Problems) == 0 }

// Build makes one table per mesh lane and load case that ran variants;
// none when the results have no telemetry variants.
func Build(rs []*results.Result) []Table {
	set := aggregate.Build(rs)
	var out []Table
	index := map[string]int{}
	for _, g := range set.Groups {
		if g.Case.Telemetry == "" {
			continue
		}
		base := Base(g.Case)
		key := g.Lane + "\x00" + base.Name
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			t := Table{Lane: g.Lane, Case: base, Columns: Columns()}
			if f := set.Group(results.LaneNone, base); f != nil {
				t.Floor = f
			}
			out = append(out, t)
		}
		out[i].Rows = append(out[i].Rows, Row{Variant: g.Case.Telemetry, Runs: len(g.Runs), Invalid: g.Invalid, Spans: spans(rs, g)})
		out[i].Rows[len(out[i].Rows)-1].Cells = values(g)
	}
	order := results.TelemetryVariantNames()
	for i := range out {
		t := &out[i]
		slices.SortStableFunc(t.Rows, func(a, b Row) int { return slices.Index(order, a.Variant) - slices.Index(order, b.Variant) })
		ref := slices.IndexFunc(t.Rows, func(r Row) bool { return r.Variant == results.TelemetryOff })
		if ref < 0 {
			continue
		}
		refRuns := runsOf(set, t.Lane, t.Case, results.TelemetryOff)
		for j := range t.Rows {
			if j == ref {
				continue
			}
			runs := runsOf(set, t.Lane, t.Case, t.Rows[j].Variant)
			for k, m := range t.Columns {
				t.Rows[j].Cells[k] = compare(t.Rows[j].Cells[k], sample(m, refRuns), sample(m, runs))
			}
		}
	}
	return out
}

// Title is a column's header: the proxy for a CPU column (the catalog's
// label does not name it), else the catalog's label.
func Title(m metric.Metric) string {
	if _, role, ok := strings.Cut(m.Name, "/"); ok {
		return role + " CPU"
	}
	return m.Label
}

// Base is c without its telemetry variant: the case the none lane ran.
func Base(c results.Case) results.Case {
	if c.Telemetry == "" {
		return c
	}
	c.Name = strings.TrimSuffix(c.Name, "-tel-"+c.Telemetry)
	c.Telemetry = ""
	return c
}

func runsOf(set *aggregate.Set, lane string, base results.Case, variant string) []*results.Result {
	c := base
	c.Telemetry = variant
	c.Name = base.Name + "-tel-" + variant
	if g := set.Group(lane, c); g != nil {
		return g.Runs
	}
	return nil
}

func values(g *aggregate.Group) []Cell {
	var cells []Cell
	for _, m := range Columns() {
		v, ok := g.Median(m)
		cells = append(cells, Cell{Median: v, Have: ok})
	}
	return cells
}

func sample(m metric.Metric, runs []*results.Result) []float64 {
	var v []float64
	for _, r := range runs {
		if x, ok := m.Get(r); ok {
			v = append(v, x)
		}
	}
	return v
}

// compare states the variant's sample y against the reference's x with
// the gate's statistics.
func compare(c Cell, x, y []float64) Cell {
	hl, err := stats.HodgesLehmann(x, y, Confidence)
	if err != nil {
		return c
	}
	u, err := stats.MannWhitneyGreater(x, y)
	if err != nil {
		return c
	}
	c.Added, c.P, c.Compared = hl, u.P, true
	return c
}

// spans sums the span checks of every run of g's lane and case, invalid
// ones included: a starved load generator makes latency no evidence, but
// the spans the mesh exported for the requests it did send are checked all
// the same.
func spans(rs []*results.Result, g *aggregate.Group) *Spans {
	var s *Spans
	label := aggregate.Labeler(rs)
	for _, r := range rs {
		sc := r.Spans
		if sc == nil || label(r) != g.Lane || r.Case != g.Case {
			continue
		}
		if s == nil {
			s = &Spans{SamplingPercent: sc.SamplingPercent}
		}
		s.Runs++
		s.Spans += sc.Spans
		s.Traces += sc.Traces
		s.Complete += sc.Complete
		s.Expected += sc.ExpectedTraces
		s.BrokenLinks += sc.BrokenLinks
		s.BadRoots += sc.BadRoots
		if sc.WithinBounds {
			s.WithinBounds++
		}
		for _, p := range sc.Problems {
			s.Problems = append(s.Problems, "rep "+itoa(r.Repetition)+": "+p)
		}
	}
	return s
}
