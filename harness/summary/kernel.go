package summary

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/meshbench/meshbench/harness/aggregate"
)

// printKernel shows, under the CPU columns, each component's kernel
// (system) CPU per request beside its whole CPU per request and the
// kernel's share: what no user-space work on the component can remove.
// Reported, never gated; a component whose CPU source cannot split shows
// n/a, and the reason is printed once; results written before the split
// existed show nothing.
func printKernel(w io.Writer, set *aggregate.Set, roles []string) {
	var lines []string
	var reasons []string
	for _, g := range set.Groups {
		if !g.Valid() {
			continue // numbers from invalid runs would be read as results
		}
		var parts []string
		for _, role := range roles {
			c := g.Component(role)
			switch {
			case c == nil, !c.Split && c.NoSplit == "":
				// absent, or a result older than the split: nothing to say
			case c.Split:
				parts = append(parts, fmt.Sprintf("%s %.1f/%.1f %.0f%%", role, c.KernelUsPerRequest, c.CPUUsPerRequest, c.KernelSharePct))
			default:
				parts = append(parts, role+" n/a")
				if !slices.Contains(reasons, c.NoSplit) {
					reasons = append(reasons, c.NoSplit)
				}
			}
		}
		if len(parts) > 0 {
			lines = append(lines, fmt.Sprintf("  %s\t%s\t%s", g.Lane, g.Case.Name, strings.Join(parts, "  ")))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "\nkernel share of CPU per request (kernel µs / all µs, share; medians over valid runs; reported, not gated):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(lines, "\n"))
	tw.Flush()
	if len(reasons) > 0 {
		fmt.Fprintf(w, "  n/a: %s\n", strings.Join(reasons, "; "))
	}
}
