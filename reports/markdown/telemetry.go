package markdown

import (
	"fmt"
	"strings"

	"github.com/meshbench/meshbench/harness/telemetrycost"
	"github.com/meshbench/meshbench/reports/digest"
)

// telemetry writes the telemetry-cost tables: per variant, each column's
// median and what it adds over the all-off variant, with the interval.
func telemetry(b *strings.Builder, d *digest.Digest) {
	for _, t := range d.Telemetry {
		fmt.Fprintf(b, "\n### What telemetry costs: %s, %s\n\n", t.Lane, digest.CaseLabel(t.Case))
		fmt.Fprintf(b, "Each cell: the median over valid runs, then what the variant adds over `off` (Hodges-Lehmann shift, [%g%% interval]); **bold** when the interval excludes 0 and the one-sided Mann-Whitney test agrees at p ≤ %g.\n\n", telemetrycost.Confidence*100, telemetrycost.Alpha)
		b.WriteString("| variant | runs |")
		for _, m := range t.Columns {
			fmt.Fprintf(b, " %s (%s) |", telemetrycost.Title(m), m.Unit)
		}
		b.WriteString(" spans |\n|---|---|")
		for range t.Columns {
			b.WriteString("---|")
		}
		b.WriteString("---|\n")
		for _, r := range t.Rows {
			runs := fmt.Sprint(r.Runs)
			if r.Invalid > 0 {
				runs += fmt.Sprintf(" (+%d invalid)", r.Invalid)
			}
			fmt.Fprintf(b, "| `%s` | %s |", r.Variant, runs)
			for i, c := range r.Cells {
				fmt.Fprintf(b, " %s |", cell(c, t.Columns[i].Unit))
			}
			fmt.Fprintf(b, " %s |\n", r.Spans.Text())
		}
		if f := t.Floor; f != nil && f.Valid() {
			fmt.Fprintf(b, "| no mesh (floor) | %d |", len(f.Runs))
			for _, m := range t.Columns {
				if v, ok := f.Median(m); ok {
					fmt.Fprintf(b, " %.3g |", v)
				} else {
					b.WriteString(" — |")
				}
			}
			b.WriteString(" |\n")
		}
	}
}

func cell(c telemetrycost.Cell, unit string) string {
	if !c.Have {
		return "—"
	}
	s := fmt.Sprintf("%.3g", c.Median)
	if a := c.AddedText(unit); a != "" {
		if c.Significant() != 0 {
			a = "**" + a + "**"
		}
		s += " · " + a
	}
	return s
}
