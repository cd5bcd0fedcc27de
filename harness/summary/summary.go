package summary

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

// Row is the median of one lane and case over its valid repetitions. A row
// with no valid run (N == 0) carries no numbers, only the reasons why its
// runs were invalid.
type Row struct {
	Lane, Case string
	N, Invalid int
	Reasons    []string           // distinct reasons of the invalid runs
	Values     map[string]float64 // catalog metric name -> median, for the columns of Columns
	CPUUs      map[string]float64 // role -> us per request
	RSSMB      map[string]float64 // role -> peak RSS, MiB
	PSSMB      map[string]float64 // role -> steady proportional set size, MiB
}

// Value is the row's median of m, 0 when the row has none.
func (r Row) Value(m metric.Metric) float64 { return r.Values[m.Name] }

// Columns are the catalog's metrics the summary shows: its short latency
// list and the achieved rate.
func Columns() []metric.Metric { return append(metric.Short(metric.Latency()), metric.QPS()) }

// roles in column order, with their column labels; the gateway's column
// shows only when some group has one (the ingress lanes).
var (
	roles      = []string{results.RoleClientProxy, results.RoleGateway, results.RoleServerProxy, results.RoleApp, results.RoleLoadgen, results.RoleControlPlane}
	roleLabels = map[string]string{results.RoleControlPlane: "control"}
)

// shownRoles are the role columns for set: the gateway's only when present.
func shownRoles(set *aggregate.Set) []string {
	gateway := false
	for _, g := range set.Groups {
		for _, c := range g.Components {
			gateway = gateway || c.Role == results.RoleGateway
		}
	}
	var out []string
	for _, r := range roles {
		if r != results.RoleGateway || gateway {
			out = append(out, r)
		}
	}
	return out
}

// Rows are the groups of the aggregation (harness/aggregate), in its order.
func Rows(rs []*results.Result) []Row {
	var out []Row
	for _, g := range aggregate.Build(rs).Groups {
		out = append(out, row(g))
	}
	return out
}

func row(g *aggregate.Group) Row {
	r := Row{Lane: g.Lane, Case: g.Case.Name, N: len(g.Runs), Invalid: g.Invalid, Reasons: g.Reasons,
		Values: map[string]float64{}, CPUUs: map[string]float64{}, RSSMB: map[string]float64{}, PSSMB: map[string]float64{}}
	if !g.Valid() {
		// Numbers from invalid runs would be read as results: none at all.
		return r
	}
	for _, m := range Columns() {
		r.Values[m.Name] = g.Value(m)
	}
	for _, c := range g.Components {
		r.CPUUs[c.Role] = c.CPUUsPerRequest
		r.RSSMB[c.Role] = c.RSSPeakMedian / (1 << 20)
		if c.PSSSteadyBytes > 0 {
			// kind and kube have no PSS: absent, never a 0 that reads as a measurement.
			r.PSSMB[c.Role] = c.PSSSteadyBytes / (1 << 20)
		}
	}
	return r
}

// Print writes the summary table.
func Print(w io.Writer, rs []*results.Result) {
	set := aggregate.Build(rs)
	// The columns are the catalog's (Columns), then CPU per request of
	// every role and proxy memory.
	cols := Columns()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "lane\tcase\tn\t")
	for _, m := range cols {
		fmt.Fprintf(tw, "%s\t", header(m))
	}
	shown := shownRoles(set)
	fmt.Fprint(tw, "cpu us/req: ")
	for _, role := range shown {
		label := role
		if l, ok := roleLabels[role]; ok {
			label = l
		}
		fmt.Fprintf(tw, "%s\t", label)
	}
	fmt.Fprintln(tw, "proxy RSS peak (PSS steady) MiB\t")
	var rows []Row
	for _, g := range set.Groups {
		r := row(g)
		rows = append(rows, r)
		n := fmt.Sprint(r.N)
		if r.Invalid > 0 {
			n += fmt.Sprintf(" (+%d invalid)", r.Invalid)
		}
		if r.N == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Lane, r.Case, n, strings.Repeat("-\t", len(cols)+len(shown)+1))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t", r.Lane, r.Case, n)
		for _, m := range cols {
			fmt.Fprintf(tw, "%s\t", cell(g, m))
		}
		for _, role := range shown {
			if v, ok := r.CPUUs[role]; ok {
				fmt.Fprintf(tw, "%.1f\t", v)
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		fmt.Fprintf(tw, "%s\t\n", proxyRSS(r))
	}
	tw.Flush()
	printKernel(w, set, shown)
	printNoValid(w, rows)
	printAdded(w, set)
	printHops(w, set)
	printWire(w, set)
}

// printWire shows, for groups whose runs recorded it (load.wire), the
// latency on the loopback wire beside the client's own: the difference is
// the load client's overhead.
func printWire(w io.Writer, set *aggregate.Set) {
	wire, client := metric.Wire(), []metric.Metric{metric.P50(), metric.P90(), metric.P99()}
	var lines []string
	for _, g := range set.Groups {
		if _, ok := g.Median(wire[0]); !ok || !g.Valid() {
			continue
		}
		lines = append(lines, fmt.Sprintf("  %-16s %-28s %s ms (client %s ms)", g.Lane, g.Case.Name, medians(g, wire), medians(g, client)))
	}
	if len(lines) > 0 {
		fmt.Fprintln(w, "\nlatency on the loopback wire (p50 / p90 / p99), the client's view beside:")
		fmt.Fprintln(w, strings.Join(lines, "\n"))
	}
}

func medians(g *aggregate.Group, ms []metric.Metric) string {
	var parts []string
	for _, m := range ms {
		v, _ := g.Median(m)
		parts = append(parts, fmt.Sprintf("%.3f", v))
	}
	return strings.Join(parts, " / ")
}

// printHops shows each service-graph edge's latency as the sidecars
// recorded it (groups whose runs have it: lanes with sidecars).
func printHops(w io.Writer, set *aggregate.Set) {
	first := true
	for _, g := range set.Groups {
		hops := g.Hops()
		if len(hops) == 0 {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nper-hop latency from the sidecars' histograms (ms, median over runs; caller's sidecar mean / p50 / p99, callee's sidecar mean, hop = caller - callee):")
			first = false
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, h := range hops {
			fmt.Fprintf(tw, "  %s\t%s\t%s -> %s\t%.3f / %.3f / %.3f\tcallee %.3f\thop %.3f\t\n", g.Lane, g.Case.Name, h.From, h.To,
				h.MeanMs, h.P50Ms, h.P99Ms, h.CalleeMeanMs, h.HopMeanMs)
		}
		tw.Flush()
	}
}

// header is a column's label with its unit ("p50 ms"); a rate needs none.
func header(m metric.Metric) string {
	if m.Unit == "rps" {
		return m.Label
	}
	return m.Label + " " + m.Unit
}

// cell prints a group's median of m: milliseconds to the microsecond, a
// rate whole.
func cell(g *aggregate.Group, m metric.Metric) string {
	v, ok := g.Median(m)
	switch {
	case !ok:
		return "-"
	case m.Unit == "ms":
		return fmt.Sprintf("%.3f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func proxyRSS(r Row) string {
	var parts []string
	for _, role := range metric.ProxyRoles() {
		if v, ok := r.RSSMB[role]; ok {
			pss := "-"
			if p, ok := r.PSSMB[role]; ok {
				pss = fmt.Sprintf("%.1f", p)
			}
			parts = append(parts, fmt.Sprintf("%.1f (%s)", v, pss))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " / ")
}

// printNoValid names each group without a valid run and why.
func printNoValid(w io.Writer, rows []Row) {
	var lines []string
	for _, r := range rows {
		if r.N == 0 {
			lines = append(lines, fmt.Sprintf("  %-16s %-28s %d invalid: %s", r.Lane, r.Case, r.Invalid, reasons(r.Reasons)))
		}
	}
	if len(lines) > 0 {
		fmt.Fprintln(w, "\nno valid run, no numbers shown:")
		fmt.Fprintln(w, strings.Join(lines, "\n"))
	}
}

func reasons(rs []string) string {
	if len(rs) == 0 {
		return "no reason recorded"
	}
	return strings.Join(rs, "; ")
}

// printAdded shows each lane's latency over the none lane of the same case
// (the aggregation's overheads: valid runs on both sides only).
func printAdded(w io.Writer, set *aggregate.Set) {
	var lines []string
	for _, c := range set.Cases {
		for _, o := range set.Overheads(c) {
			var added []string
			for _, a := range o.Added {
				added = append(added, fmt.Sprintf("%+.3f", a.Value))
			}
			lines = append(lines, fmt.Sprintf("  %-16s %-28s %s ms", o.Lane, o.Case.Name, strings.Join(added, " / ")))
		}
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "\nlatency added over none (%s):\n", aggregate.AddedLabels(" / "))
		fmt.Fprintln(w, strings.Join(lines, "\n"))
	}
}
