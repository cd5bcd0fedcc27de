package study

import (
	"fmt"
	"io"
	"strings"
)

// GatedMetrics are the metrics of the default gate scenario's mesh lane,
// in table order.
var GatedMetrics = []string{"cpu_us_per_request/proxies", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "rss_bytes_steady/proxies"}

var short = map[string]string{
	"cpu_us_per_request/proxies": "CPU/req", "latency_p50_ms": "p50", "latency_p90_ms": "p90",
	"latency_p99_ms": "p99", "latency_p999_ms": "p99.9", "rss_bytes_steady/proxies": "RSS",
}

// WriteRates prints gate outcomes as a Markdown table: per pair the share
// of gates with each overall verdict, and per gated metric the effect
// measured over every eligible round and the share of gates in which that
// metric was FAIL and PASS.
func WriteRates(w io.Writer, rs []*Rates) {
	fmt.Fprintf(w, "| gate | mode | eligible rounds | gates | FAIL | INCONCLUSIVE | PASS | extended |")
	for _, m := range GatedMetrics {
		fmt.Fprintf(w, " %s effect / FAIL / PASS |", short[m])
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|---|---|---|---|---|---|---|"+strings.Repeat("---|", len(GatedMetrics))+"\n")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s (%s vs %s) | %s | %d | %d | %s | %s | %s | %s |", r.Pair.Name, r.Pair.Cand, r.Pair.Base, r.Mode,
			r.EligibleRounds, r.Gates, pct(r.Rate(r.Fail)), pct(r.Rate(r.Inconclusive)), pct(r.Rate(r.Pass)), pct(r.Rate(r.Extended)))
		for _, m := range GatedMetrics {
			fmt.Fprintf(w, " %+.1f%% / %s / %s |", 100*r.Effect[m], pct(r.Rate(r.MetricFail[m])), pct(r.Rate(r.MetricPass[m])))
		}
		fmt.Fprintln(w)
	}
}

// WriteMDE prints the minimum detectable effects and their curves.
func WriteMDE(w io.Writer, curves map[string][]MDEPoint, mdes map[string]float64, target float64) {
	fmt.Fprintf(w, "| metric | MDE (detected in >= %.0f%% of gates) | detection by synthetic effect |\n|---|---|---|\n", 100*target)
	for _, m := range append(append([]string(nil), GatedMetrics...), "latency_p999_ms") {
		c, ok := curves[m]
		if !ok {
			continue
		}
		var parts []string
		for _, p := range c {
			parts = append(parts, fmt.Sprintf("%.0f%%: %s", 100*p.Effect, pct(p.Detection)))
		}
		mde := "> grid"
		if mdes[m] > 0 {
			mde = fmt.Sprintf("%.0f%%", 100*mdes[m])
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", short[m], mde, strings.Join(parts, ", "))
	}
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
