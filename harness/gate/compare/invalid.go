package compare

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshbench/meshbench/harness/results"
)

// noValidRuns explains, per group (lane/mode case), each side that had runs
// but none usable: how many and why. Such a side contributes no numbers to
// the comparison, the same rule the run summary and the report follow.
func noValidRuns(base, cand []*results.Result, tolerance float64) map[string]string {
	out := map[string]string{}
	for _, side := range []struct {
		name string
		rs   []*results.Result
	}{{"base", base}, {"candidate", cand}} {
		for key, group := range groupByKey(side.rs) {
			if slices.ContainsFunc(group, func(r *results.Result) bool { return Usable(r, tolerance) }) {
				continue
			}
			var why []string
			for _, r := range group {
				for _, w := range r.InvalidReasons {
					if !slices.Contains(why, w) {
						why = append(why, w)
					}
				}
			}
			if len(why) == 0 {
				why = []string{"no reason recorded"}
			}
			note := fmt.Sprintf("%s %d invalid: %s", side.name, len(group), strings.Join(why, "; "))
			if prev, ok := out[key]; ok {
				note = prev + "; " + note
			}
			out[key] = note
		}
	}
	for key, note := range out {
		out[key] = "group " + key + " has no valid run to compare (" + note + ")"
	}
	return out
}
