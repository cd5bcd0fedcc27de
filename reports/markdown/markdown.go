package markdown

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports/digest"
	"github.com/meshbench/meshbench/reports/published"
)

// Input is what the summary shows.
type Input struct {
	Title         string
	Generated     time.Time
	Verdict       string
	VerdictDetail string
	Digest        *digest.Digest
	Comparison    *results.Comparison
	History       *digest.History
	Published     *published.Set
	Omitted       []string
}

// MaxRows caps each table so the summary fits a comment.
const MaxRows = 30

var icons = map[string]string{results.Pass: "✅", results.Fail: "❌", results.Inconclusive: "⚠️", "REPORT": "📊"}

// Render writes the summary.
func Render(w io.Writer, in Input) error {
	d := in.Digest
	if d == nil {
		d = digest.Build(nil)
	}
	b := &strings.Builder{}
	fmt.Fprintf(b, "## %s %s: %s\n\n", icons[in.Verdict], in.Verdict, in.Title)
	fmt.Fprintf(b, "%s\n\n", in.VerdictDetail)
	if len(d.Environments) > 0 {
		e := d.Environments[0]
		runs := ""
		if d.Runs > 0 {
			runs = fmt.Sprintf(" · %d runs", d.Runs)
		}
		fmt.Fprintf(b, "<sub>%s%s · %s, %d cores · %s · rev %s · generated %s</sub>\n\n", strings.Join(d.Scenarios, ", "), runs,
			e.CPUModel, e.Cores, e.GoVersion, short(e.GitRevision), in.Generated.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if c := in.Comparison; c != nil {
		comparison(b, c)
	}
	if ref, ok := d.ReferenceCase(); ok {
		overhead(b, d, ref)
	}
	latency(b, d)
	telemetry(b, d)
	hops(b, d)
	wire(b, d)
	appBeside(b, d, in.Published)
	if len(d.Invalid) > 0 {
		fmt.Fprintf(b, "\n> [!WARNING]\n> %d invalid run(s) excluded:", len(d.Invalid))
		for i, r := range d.Invalid {
			if i == 5 {
				fmt.Fprintf(b, " …")
				break
			}
			fmt.Fprintf(b, " `%s` (%s);", r.Key, strings.Join(r.Reasons, ", "))
		}
		b.WriteString("\n")
	}
	if in.History != nil {
		n := 0
		for _, t := range in.History.Trends {
			n += len(t.ChangePoints)
		}
		fmt.Fprintf(b, "\n**History:** %d trends, %d change points (see report.html).\n", len(in.History.Trends), n)
	}
	if len(in.Omitted) > 0 {
		fmt.Fprintf(b, "\n<details><summary>%d plots not drawn</summary>\n\n", len(in.Omitted))
		for _, o := range in.Omitted {
			fmt.Fprintf(b, "- %s\n", o)
		}
		b.WriteString("\n</details>\n")
	}
	b.WriteString("\nFull report with plots, environment and published Istio/Linkerd figures (with their test conditions): `report.html`.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func comparison(b *strings.Builder, c *results.Comparison) {
	fmt.Fprintf(b, "### %s vs %s\n\n", c.Candidate, c.Base)
	// Gated rows decide the verdict: failing and inconclusive first, since
	// they are why someone reads this. Report-only rows fold away.
	var gated, other []results.MetricComparison
	for _, want := range []string{results.Fail, results.Inconclusive, results.Pass} {
		for _, m := range c.Metrics {
			if m.Gated && m.Verdict == want {
				gated = append(gated, m)
			}
		}
	}
	for _, m := range c.Metrics {
		if m.Gated && m.Verdict != results.Fail && m.Verdict != results.Inconclusive && m.Verdict != results.Pass {
			gated = append(gated, m)
		}
		if !m.Gated {
			other = append(other, m)
		}
	}
	table(b, gated)
	// The notes say what the rows cannot: groups without a valid run to
	// compare, dropped runs, the machine-speed adjustment.
	for _, n := range c.Notes {
		fmt.Fprintf(b, "- %s\n", n)
	}
	if len(c.Notes) > 0 {
		b.WriteString("\n")
	}
	if len(other) > 0 {
		fmt.Fprintf(b, "<details><summary>%d report-only metrics (not gated)</summary>\n\n", len(other))
		table(b, other)
		b.WriteString("</details>\n\n")
	}
}

func table(b *strings.Builder, rows []results.MetricComparison) {
	b.WriteString("| group | metric | base | candidate | Δ [95% CI] | threshold | p (Holm) | verdict |\n|---|---|--:|--:|--:|--:|--:|---|\n")
	for i, m := range rows {
		if i == MaxRows {
			fmt.Fprintf(b, "\n<sub>%d more rows in report.html</sub>\n", len(rows)-MaxRows)
			break
		}
		base, unit := digest.Display(m.BaseMedian, m.Unit)
		cand, _ := digest.Display(m.CandMedian, m.Unit)
		th := "—"
		if m.Gated {
			th = fmt.Sprintf("%+.0f%%", m.Threshold*100)
		}
		fmt.Fprintf(b, "| %s | %s | %s %s | %s %s | %+.1f%% [%+.1f%%, %+.1f%%] | %s | %.3g | %s %s |\n", m.Group, m.Metric, num(base), unit,
			num(cand), unit, m.Delta*100, m.DeltaCILo*100, m.DeltaCIHi*100, th, m.PAdjusted, icons[m.Verdict], m.Verdict)
	}
	b.WriteString("\n")
}

func overhead(b *strings.Builder, d *digest.Digest, ref results.Case) {
	ovs := d.Overheads(ref)
	if len(ovs) == 0 {
		return
	}
	fmt.Fprintf(b, "### Overhead over no mesh (%s, same machine, same run)\n\n", digest.CaseLabel(ref))
	added := aggregate.AddedMetrics()
	b.WriteString("| lane |")
	for _, m := range added {
		fmt.Fprintf(b, " +%s %s |", m.Label, m.Unit)
	}
	// The kernel share sits beside the proxies' CPU: the part of it no
	// user-space work on the proxy removes (reported, never gated).
	b.WriteString(" proxy vCPU / 1000 rps | proxy kernel share | proxy steady RSS MiB |\n|---|" + strings.Repeat("--:|", len(added)) + "---|---|---|\n")
	for _, o := range ovs {
		var cpu, kernel, rss []string
		for _, p := range o.Proxies {
			cpu = append(cpu, fmt.Sprintf("%s %s", p.Role, num(p.VCPUPer1000RPS)))
			switch {
			case p.Split:
				kernel = append(kernel, fmt.Sprintf("%s %.0f%%", p.Role, p.KernelSharePct))
			case p.NoSplit != "": // else a result older than the split: nothing to say
				kernel = append(kernel, p.Role+" n/a")
			}
			rss = append(rss, fmt.Sprintf("%s %.1f", p.Role, p.RSSSteadyMiB))
		}
		fmt.Fprintf(b, "| %s |", o.Lane)
		for _, a := range o.Added {
			fmt.Fprintf(b, " %s |", num(a.Value))
		}
		fmt.Fprintf(b, " %s | %s | %s |\n", dash(strings.Join(cpu, ", ")), dash(strings.Join(kernel, ", ")), dash(strings.Join(rss, ", ")))
	}
	b.WriteString("\n")
}

// appBeside sets an application scenario (emojivoto) beside the figures
// published for the same application at the same rates.
func appBeside(b *strings.Builder, d *digest.Digest, pub *published.Set) {
	app, rows := published.AppComparison(d, pub)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "\n### %s beside published figures for it\n\n", app)
	b.WriteString("Published figures were measured by others on other machines, versions and cluster sizes: orders of magnitude, not a same-machine comparison.\n\n")
	b.WriteString("| rps | none p50 ms | mesh p50 ms | mesh adds p50 ms | mesh adds max ms | published at this rate |\n|--:|--:|--:|--:|--:|---|\n")
	for _, r := range rows {
		var theirs []string
		for _, f := range r.Theirs {
			theirs = append(theirs, published.AppFigureLabel(f))
		}
		ours := "no valid run | — | — | —"
		if r.Have {
			ours = fmt.Sprintf("%s | %s | %s | %s", num(r.NoneP50), num(r.MeshP50), num(r.AddedP50), num(r.AddedMax))
		}
		fmt.Fprintf(b, "| %g | %s | %s |\n", r.QPS, ours, dash(strings.Join(theirs, "; ")))
	}
}

// hops is each service-graph edge's latency from the sidecars' histograms,
// per group that recorded it.
func hops(b *strings.Builder, d *digest.Digest) {
	header := false
	for _, g := range d.Groups {
		for _, h := range g.Hops() {
			if !header {
				b.WriteString("\n<details><summary>Per-hop latency from the sidecars (ms, median over repetitions)</summary>\n\n")
				b.WriteString("The caller's sidecar, outbound (mean, p50, p99 interpolated in its histogram's buckets), the callee's sidecar, inbound (mean), and the hop: caller minus callee.\n\n")
				b.WriteString("| case | lane | edge | mean | p50 | p99 | callee mean | hop mean |\n|---|---|---|--:|--:|--:|--:|--:|\n")
				header = true
			}
			fmt.Fprintf(b, "| %s | %s | %s → %s | %s | %s | %s | %s | %s |\n", digest.CaseLabel(g.Case), g.Lane, h.From, h.To,
				num(h.MeanMs), num(h.P50Ms), num(h.P99Ms), num(h.CalleeMeanMs), num(h.HopMeanMs))
		}
	}
	if header {
		b.WriteString("\n</details>\n")
	}
}

// wire shows, for the groups whose runs recorded it (load.wire), the
// latency on the loopback wire beside the client's: the difference is the
// load client's own overhead.
func wire(b *strings.Builder, d *digest.Digest) {
	wm, cm := metric.Wire(), []metric.Metric{metric.P50(), metric.P90(), metric.P99()}
	header := false
	for _, g := range d.Groups {
		if _, ok := g.Median(wm[0]); !ok || !g.Valid() {
			continue
		}
		if !header {
			b.WriteString("\n<details><summary>Latency on the loopback wire beside the client's (ms, median over repetitions)</summary>\n\n")
			b.WriteString("| case | lane |")
			for _, m := range append(append([]metric.Metric(nil), wm...), cm...) {
				fmt.Fprintf(b, " %s |", m.Label)
			}
			b.WriteString("\n|---|---|" + strings.Repeat("--:|", len(wm)+len(cm)) + "\n")
			header = true
		}
		fmt.Fprintf(b, "| %s | %s |", digest.CaseLabel(g.Case), g.Lane)
		for _, m := range append(append([]metric.Metric(nil), wm...), cm...) {
			fmt.Fprintf(b, " %s |", num(g.Value(m)))
		}
		b.WriteString("\n")
	}
	if header {
		b.WriteString("\n</details>\n")
	}
}

func latency(b *strings.Builder, d *digest.Digest) {
	if len(d.Groups) == 0 {
		return
	}
	b.WriteString("<details><summary>Latency per lane and case (ms, median over repetitions)</summary>\n\n")
	// The catalog's short latency columns.
	cols := metric.Short(metric.Latency())
	b.WriteString("| case | lane | n |")
	for _, m := range cols {
		fmt.Fprintf(b, " %s |", m.Label)
	}
	b.WriteString(" errors |\n|---|---|--:|" + strings.Repeat("--:|", len(cols)) + "--:|\n")
	n := 0
	for _, g := range d.Groups {
		if n == MaxRows*2 {
			b.WriteString("\n<sub>more rows in report.html</sub>\n")
			break
		}
		n++
		runs := fmt.Sprint(len(g.Runs))
		if g.Invalid > 0 {
			runs += fmt.Sprintf(" (+%d invalid)", g.Invalid)
		}
		if len(g.Runs) == 0 {
			// No valid run: why, and no numbers that could be read as results.
			why := "no reason recorded"
			if len(g.Reasons) > 0 {
				why = strings.Join(g.Reasons, "; ")
			}
			fmt.Fprintf(b, "| %s | %s | %s | no valid run: %s |%s\n", digest.CaseLabel(g.Case), g.Lane, runs, why, strings.Repeat(" — |", len(cols)))
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s |", digest.CaseLabel(g.Case), g.Lane, runs)
		for _, m := range cols {
			fmt.Fprintf(b, " %s |", num(g.Value(m)))
		}
		fmt.Fprintf(b, " %d |\n", g.Errors)
	}
	b.WriteString("\n</details>\n")
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func short(rev string) string {
	if len(rev) > 10 {
		return rev[:10]
	}
	if rev == "" {
		return "unknown"
	}
	return rev
}

// num prints three significant digits, plainly.
func num(v float64) string { return digest.Sig3(v) }
