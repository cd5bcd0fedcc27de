package study

import (
	"fmt"
	"io"
	"strings"

	"github.com/meshbench/meshbench/harness/metric"
)

// GatedMetrics are the metrics the gate decides on for a mesh lane's
// proxies, as the catalog lists them, that a synthetic effect can be
// applied to (metric.Metric.Scale; the callgrind instruction count is
// not in a study's recording).
func GatedMetrics() []metric.Metric {
	var out []metric.Metric
	for _, m := range metric.Gated(metric.Compared(metric.ProxyRoles())) {
		if m.Scale != nil {
			out = append(out, m)
		}
	}
	return out
}

// StudiedMetrics are GatedMetrics and p99.9, which is report-only until
// its measured minimum detectable effect is small enough to gate.
func StudiedMetrics() []metric.Metric { return append(GatedMetrics(), metric.P999()) }

// WriteRates prints gate outcomes as a Markdown table: per pair the share
// of gates with each overall verdict, and per gated metric the effect
// measured over every eligible round and the share of gates in which that
// metric was FAIL and PASS.
func WriteRates(w io.Writer, rs []*Rates) {
	fmt.Fprintf(w, "| gate | mode | eligible rounds | gates | FAIL | INCONCLUSIVE | PASS | extended |")
	gated := GatedMetrics()
	for _, m := range gated {
		fmt.Fprintf(w, " %s effect / FAIL / PASS |", m.Label)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|---|---|---|---|---|---|---|"+strings.Repeat("---|", len(gated))+"\n")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s (%s vs %s) | %s | %d | %d | %s | %s | %s | %s |", r.Pair.Name, r.Pair.Cand, r.Pair.Base, r.Mode,
			r.EligibleRounds, r.Gates, pct(r.Rate(r.Fail)), pct(r.Rate(r.Inconclusive)), pct(r.Rate(r.Pass)), pct(r.Rate(r.Extended)))
		for _, m := range gated {
			fmt.Fprintf(w, " %+.1f%% / %s / %s |", 100*r.Effect[m.Name], pct(r.Rate(r.MetricFail[m.Name])), pct(r.Rate(r.MetricPass[m.Name])))
		}
		fmt.Fprintln(w)
	}
}

// WriteMDE prints the minimum detectable effects and their curves.
func WriteMDE(w io.Writer, curves map[string][]MDEPoint, mdes map[string]float64, target float64) {
	fmt.Fprintf(w, "| metric | MDE (detected in >= %.0f%% of gates) | detection by synthetic effect |\n|---|---|---|\n", 100*target)
	for _, m := range StudiedMetrics() {
		c, ok := curves[m.Name]
		if !ok {
			continue
		}
		var parts []string
		for _, p := range c {
			parts = append(parts, fmt.Sprintf("%.0f%%: %s", 100*p.Effect, pct(p.Detection)))
		}
		mde := "> grid"
		if mdes[m.Name] > 0 {
			mde = fmt.Sprintf("%.0f%%", 100*mdes[m.Name])
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", m.Label, mde, strings.Join(parts, ", "))
	}
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
