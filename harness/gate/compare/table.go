package compare

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/meshbench/meshbench/harness/results"
)

// WriteTable prints a comparison as a benchstat-like table: per metric the
// median and its interval on each side, the Hodges-Lehmann delta with its
// interval, the raw and Holm-adjusted one-sided p, n, threshold and verdict.
func WriteTable(w io.Writer, c *results.Comparison) error {
	fmt.Fprintf(w, "base: %s   candidate: %s   scenario: %s   alpha %.3g%s\n",
		c.Base, c.Candidate, c.Scenario, c.Alpha, map[bool]string{true: "   (after the extension)", false: ""}[c.Extended])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	group := "\x00"
	for _, m := range c.Metrics {
		if m.Group != group {
			group = m.Group
			fmt.Fprintf(tw, "\n%s\tbase\tcandidate\tdelta\tp\tp(holm)\tn\tthreshold\tverdict\n", group)
		}
		th := "-"
		if m.Gated {
			th = fmt.Sprintf("%.1f%%", 100*m.Threshold)
		}
		delta := fmt.Sprintf("%+.1f%% [%+.1f%%, %+.1f%%]", 100*m.Delta, 100*m.DeltaCILo, 100*m.DeltaCIHi)
		if m.Absolute { // a difference of rates: percentage points
			delta = fmt.Sprintf("%+.2fpp [%+.2fpp, %+.2fpp]", 100*m.Delta, 100*m.DeltaCILo, 100*m.DeltaCIHi)
			if m.Gated {
				th = fmt.Sprintf("%.2fpp", 100*m.Threshold)
			}
		}
		note := ""
		if m.Note != "" {
			note = "  (" + m.Note + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%d+%d\t%s\t%s%s\n", m.Metric,
			summary(m.BaseMedian, m.BaseCILo, m.BaseCIHi, m.Unit),
			summary(m.CandMedian, m.CandCILo, m.CandCIHi, m.Unit),
			delta,
			pval(m.P), pval(m.PAdjusted), m.NBase, m.NCand, th, m.Verdict, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, r := range c.Reasons {
		fmt.Fprintf(w, "reason: %s\n", r)
	}
	_, err := fmt.Fprintf(w, "\nverdict: %s\n", c.Verdict)
	return err
}

// summary prints "median ±x%" with the half-width of the median's interval
// (benchstat's style); "±∞" when the sample was too small to bound it.
func summary(med, lo, hi float64, unit string) string {
	if lo == 0 && hi == 0 || med == 0 {
		return fmt.Sprintf("%s ±∞", human(med, unit))
	}
	pct := 100 * math.Max(med-lo, hi-med) / math.Abs(med)
	return fmt.Sprintf("%s ±%.0f%%", human(med, unit), pct)
}

func human(v float64, unit string) string {
	switch unit {
	case "B":
		return fmt.Sprintf("%.1fMiB", v/(1<<20))
	case "instr":
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.4g%s", v, unit)
	}
}

func pval(p float64) string {
	if p < 0.0001 {
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.4f", p)
}
