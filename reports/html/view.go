package html

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports/digest"
	"github.com/meshbench/meshbench/reports/plots"
	"github.com/meshbench/meshbench/reports/published"
)

// view is the page in the shape the template wants.
type view struct {
	Page
	VerdictClass string
	Headline     []string
	Measured     string // one line: what ran, where
	Scenario     [][2]string
	RefCase      string
	Overheads    []digest.Overhead
	AddedMetrics []metric.Metric // the overhead table's columns
	MeshRows     []meshRow
	PubFigures   []pubRow
	PubSources   []*published.Source
	App          string   // an application scenario with published figures for it (emojivoto)
	AppRows      []appRow // ours beside theirs, per rate
	ChangePoints []changeRow
	CPRuns       []*results.Result
	HasScheduled bool
	HasWire      bool
	LatencyCols  []string // the catalog's latency metrics, then its short scheduled ones
	LatencyRows  []latencyRow
	LatencySpan  int           // the cells after n, for a row without numbers
	CompareFig   *plots.Figure // drawn in the comparison section
	CompareRows  []results.MetricComparison
}

// latencyRow is one lane and case of the latency table.
type latencyRow struct {
	Case, Lane       string
	N, Invalid       int
	QPS              string
	Cells, Sched     []string // service time, then scheduled time
	Requests, Errors int64
	NoValid          string // the reasons, when the group has no valid run
}

type meshRow struct {
	Lane string
	Mesh *results.MeshFeatures
	Case []string // mTLS per case, if it differs from the feature flag
}

// appRow is one rate of an application scenario beside the figures
// published for the same application at that rate.
type appRow struct {
	QPS                                  float64
	Have                                 bool
	NoneP50, MeshP50, AddedP50, AddedMax float64
	Theirs                               []string
}

type pubRow struct {
	Label string
	Kind  string
	Pct   string
	Value string
	Unit  string
	How   string
}

type changeRow struct {
	Group, Metric, Unit string
	Revision, Time      string
	Before, After       float64
	Change              float64
}

func newView(p Page) view {
	d := p.Digest
	v := view{Page: p, VerdictClass: strings.ToLower(p.Verdict.Word)}
	v.Figures = nil
	for i := range p.Figures {
		if p.Figures[i].Name == "comparison" {
			v.CompareFig = &p.Figures[i]
		} else {
			v.Figures = append(v.Figures, p.Figures[i])
		}
	}
	if c := p.Comparison; c != nil {
		// The rows that decide the verdict first, the worst on top.
		for _, want := range []string{results.Fail, results.Inconclusive, results.Pass, ""} {
			for _, m := range c.Metrics {
				if m.Gated && (m.Verdict == want || want == "" && m.Verdict != results.Fail && m.Verdict != results.Inconclusive && m.Verdict != results.Pass) {
					v.CompareRows = append(v.CompareRows, m)
				}
			}
		}
		for _, m := range c.Metrics {
			if !m.Gated {
				v.CompareRows = append(v.CompareRows, m)
			}
		}
	}
	v.Scenario = [][2]string{
		{"scenario", strings.Join(d.Scenarios, ", ")},
		{"kind", strings.Join(d.Kinds, ", ")},
		{"platform", strings.Join(d.Platforms, ", ")},
		{"lanes", strings.Join(d.Lanes, ", ")},
		{"cases", fmt.Sprint(len(d.Cases))},
		{"runs", fmt.Sprintf("%d (%d invalid), up to %d repetitions per lane and case, interleaved", d.Runs, len(d.Invalid), d.Repetitions)},
		{"measured window", fmt.Sprintf("%g s after %g s warm-up", d.DurationS, d.WarmupS)},
		{"seed", fmt.Sprint(d.Seeds)},
		{"started", stamp(d.First) + " — " + stamp(d.Last)},
	}
	v.Measured = fmt.Sprintf("%s (%s) on %s: %d lanes × %d cases, %d runs of %g s after %g s warm-up.",
		strings.Join(d.Scenarios, ", "), strings.Join(d.Kinds, ", "), strings.Join(d.Platforms, ", "),
		len(d.Lanes), len(d.Cases), d.Runs, d.DurationS, d.WarmupS)
	if d.Runs == 0 {
		v.Measured = "This report was given the comparison only, not the runs behind it: the plots and tables of runs are absent."
	}
	for _, lane := range d.Lanes {
		if l, _ := aggregate.SplitLane(lane); l == "mesh/both" || l == "mesh" {
			if m := d.Mesh[lane]; m != nil {
				v.Measured += fmt.Sprintf(" Mesh: %s, mTLS %s, telemetry %s, %d worker(s), xDS %s.", m.Proxy, onoff(m.MTLS), onoff(m.Telemetry), m.Workers, onoff(m.XDS))
				break
			}
		}
	}
	if ref, ok := d.ReferenceCase(); ok {
		v.RefCase = digest.CaseLabel(ref)
		v.Overheads = d.Overheads(ref)
		v.AddedMetrics = aggregate.AddedMetrics()
		for _, o := range v.Overheads {
			if l, _ := aggregate.SplitLane(o.Lane); l != "mesh/both" && l != "mesh" && len(v.Overheads) > 1 {
				continue
			}
			var at []string
			negative := false
			for _, a := range o.Added {
				at = append(at, fmt.Sprintf("%s %s at %s", ms(a.Value), a.Metric.Unit, a.Metric.Label))
				negative = negative || a.Value < 0
			}
			h := fmt.Sprintf("%s adds %s over no mesh", o.Lane, enumerate(at))
			var costs []string
			for _, px := range o.Proxies {
				costs = append(costs, fmt.Sprintf("%s %s vCPU per 1000 rps, %.1f MiB", px.Role, ms(px.VCPUPer1000RPS), px.RSSSteadyMiB))
			}
			if len(costs) > 0 {
				h += "; " + strings.Join(costs, "; ")
			}
			h += " (" + v.RefCase + ")."
			if negative {
				h += " A negative difference is within this run's run-to-run noise: more repetitions or a longer window would settle it."
			}
			v.Headline = append(v.Headline, h)
		}
	}
	for _, lane := range d.Lanes {
		v.MeshRows = append(v.MeshRows, meshRow{Lane: lane, Mesh: d.Mesh[lane]})
	}
	v.latencyTable(d)
	if app, rows := published.AppComparison(d, p.Published); len(rows) > 0 {
		v.App = app
		for _, r := range rows {
			ar := appRow{QPS: r.QPS, Have: r.Have, NoneP50: r.NoneP50, MeshP50: r.MeshP50, AddedP50: r.AddedP50, AddedMax: r.AddedMax}
			for _, f := range r.Theirs {
				ar.Theirs = append(ar.Theirs, published.AppFigureLabel(f))
			}
			v.AppRows = append(v.AppRows, ar)
		}
	}
	if p.Published != nil {
		v.PubSources = p.Published.Sources
		for _, k := range []published.Kind{published.KindAddedLatency, published.KindProxyCPU, published.KindProxyMemory} {
			for _, f := range p.Published.ByKind(k) {
				r := pubRow{Label: plots.PublishedLabel(f), Kind: string(k), Pct: f.Percentile, Unit: f.Unit, How: "as published"}
				// As published: no added or dropped digits.
				r.Value = fmt.Sprintf("%.4g", f.Value)
				if f.Hi > f.Lo {
					r.Value = fmt.Sprintf("%.4g (%.4g–%.4g)", f.Value, f.Lo, f.Hi)
				}
				if f.Derived {
					r.How = "derived: " + f.Formula
				}
				v.PubFigures = append(v.PubFigures, r)
			}
		}
	}
	if p.History != nil {
		for _, t := range p.History.Trends {
			cps := slices.Clone(t.ChangePoints)
			sort.Ints(cps)
			for i, cp := range cps {
				lo := 0
				if i > 0 {
					lo = cps[i-1]
				}
				hi := len(t.Points)
				if i+1 < len(cps) {
					hi = cps[i+1]
				}
				before, after := mean(t.Points[lo:cp]), mean(t.Points[cp:hi])
				r := changeRow{Group: t.Group, Metric: t.Metric, Unit: t.Unit, Revision: t.Points[cp].Revision,
					Time: t.Points[cp].Time.UTC().Format("2006-01-02 15:04"), Before: before, After: after}
				if before != 0 {
					r.Change = after/before - 1
				}
				v.ChangePoints = append(v.ChangePoints, r)
			}
		}
	}
	for _, r := range d.ControlPlane {
		v.CPRuns = append(v.CPRuns, r)
	}
	return v
}

func mean(ps []digest.TrendPoint) float64 {
	if len(ps) == 0 {
		return 0
	}
	var s float64
	for _, p := range ps {
		s += p.Value
	}
	return s / float64(len(ps))
}

// latencyTable lays out the latency table from the catalog: every
// service-time percentile, then the short scheduled-time ones when any run
// recorded them.
func (v *view) latencyTable(d *digest.Digest) {
	cols := metric.Latency()
	// The other views of the same requests, where measured: intended time,
	// and the loopback wire (load.wire).
	var sched []metric.Metric
	present := func(m metric.Metric) bool {
		return slices.ContainsFunc(d.Groups, func(g *digest.Group) bool { _, ok := g.Median(m); return ok })
	}
	for _, m := range metric.Short(metric.Scheduled()) {
		if present(m) {
			sched = append(sched, m)
			v.HasScheduled = true
		}
	}
	for _, m := range metric.Wire() {
		if present(m) {
			sched = append(sched, m)
			v.HasWire = true
		}
	}
	for _, m := range append(slices.Clone(cols), sched...) {
		v.LatencyCols = append(v.LatencyCols, m.Label)
	}
	v.LatencySpan = len(cols) + len(sched) + 3 // achieved QPS, the columns, requests, errors
	cells := func(g *digest.Group, list []metric.Metric) []string {
		var out []string
		for _, m := range list {
			c := "—"
			if x, ok := g.Median(m); ok {
				c = ms(x)
			}
			out = append(out, c)
		}
		return out
	}
	for _, g := range d.Groups {
		r := latencyRow{Case: digest.CaseLabel(g.Case), Lane: g.Lane, N: len(g.Runs), Invalid: g.Invalid, Requests: g.Requests, Errors: g.Errors}
		if !g.Valid() {
			r.NoValid = "no reason recorded"
			if len(g.Reasons) > 0 {
				r.NoValid = strings.Join(g.Reasons, "; ")
			}
		} else {
			r.QPS = num(g.Value(metric.QPS()))
			r.Cells, r.Sched = cells(g, cols), cells(g, sched)
		}
		v.LatencyRows = append(v.LatencyRows, r)
	}
}

// enumerate joins items as prose: "a", "a and b", "a, b and c".
func enumerate(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
