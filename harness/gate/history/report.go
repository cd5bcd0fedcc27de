package history

import (
	"fmt"
	"io"
	"sort"
)

// Change is a change point located in a series of the history.
type Change struct {
	Series   string
	At       Point // the first point after the change
	Previous Point // the last point before it
	P        float64
	Before   float64
	After    float64
}

// Relative is the change of the segment medians, after/before - 1.
func (c Change) Relative() float64 {
	if c.Before == 0 {
		return 0
	}
	return c.After/c.Before - 1
}

// Detect runs EDivisive over every series (the last maxPoints points of
// each; 0 means all) and returns the change points, newest first.
func Detect(series map[string][]Point, o Options, maxPoints int) []Change {
	var out []Change
	keys := make([]string, 0, len(series))
	for k := range series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pts := series[k]
		if maxPoints > 0 && len(pts) > maxPoints {
			pts = pts[len(pts)-maxPoints:]
		}
		x := make([]float64, len(pts))
		for i, p := range pts {
			x[i] = p.Value
		}
		for _, cp := range EDivisive(x, o) {
			out = append(out, Change{Series: k, At: pts[cp.Index], Previous: pts[cp.Index-1],
				P: cp.P, Before: cp.Before, After: cp.After})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Time.After(out[j].At.Time) })
	return out
}

// WriteReport prints change points, one per line.
func WriteReport(w io.Writer, changes []Change, nSeries int) error {
	if len(changes) == 0 {
		_, err := fmt.Fprintf(w, "no change points in %d series\n", nSeries)
		return err
	}
	for _, c := range changes {
		if _, err := fmt.Fprintf(w, "%s  %-12s %+6.1f%%  %.4g -> %.4g  p=%.3g  (after %s)  %s\n",
			c.At.Time.Format("2006-01-02 15:04"), short(c.At.Revision), 100*c.Relative(), c.Before, c.After,
			c.P, short(c.Previous.Revision), c.Series); err != nil {
			return err
		}
	}
	return nil
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	if rev == "" {
		return "-"
	}
	return rev
}
