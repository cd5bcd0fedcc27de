package cli

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/meshbench/meshbench/harness/gate/compare"
	"github.com/meshbench/meshbench/harness/gate/history"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/reports/digest"
)

// loadHistory reads either a History JSON document (schema
// meshbench.history/v1) or the gate's append-only JSONL history, on which it
// runs the gate's change-point detection with its defaults. The detection
// happens here, before rendering: reports only draw what they are given.
func loadHistory(path string) (*digest.History, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if bytes.Contains(data[:min(len(data), 200)], []byte(digest.HistorySchema)) {
		return digest.ReadHistory(path)
	}
	series, err := history.Load(path, func(w string) { fmt.Fprintln(os.Stderr, "warning:", w) })
	if err != nil {
		return nil, err
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("history %s: no points", path)
	}
	return trendsFromSeries(series, history.Options{}, 50), nil
}

// trendsFromSeries turns the gate's stored history (series of points by
// key, as history.Load returns them) into trends, running the gate's
// E-Divisive detector over the last maxPoints points of each series (0:
// all). Series with change points come first, the newest change first,
// because those are the ones a reader has to look at.
func trendsFromSeries(series map[string][]history.Point, o history.Options, maxPoints int) *digest.History {
	h := &digest.History{Schema: digest.HistorySchema}
	for key, pts := range series {
		if maxPoints > 0 && len(pts) > maxPoints {
			pts = pts[len(pts)-maxPoints:]
		}
		if len(pts) == 0 {
			continue
		}
		t := digest.Trend{Group: pts[0].Scenario + " · " + pts[0].Group, Metric: pts[0].Metric, Unit: unitOf(pts[0].Metric)}
		if t.Group == " · " {
			t.Group = key
		}
		x := make([]float64, len(pts))
		for i, p := range pts {
			v := p.Value
			if t.Unit == "MiB" {
				v /= 1 << 20
			}
			x[i] = p.Value
			t.Points = append(t.Points, digest.TrendPoint{Time: p.Time, Revision: p.Revision, Value: v})
		}
		for _, cp := range history.EDivisive(x, o) {
			t.ChangePoints = append(t.ChangePoints, cp.Index)
		}
		h.Trends = append(h.Trends, t)
	}
	lastChange := func(t digest.Trend) int64 {
		if len(t.ChangePoints) == 0 {
			return 0
		}
		return t.Points[t.ChangePoints[len(t.ChangePoints)-1]].Time.Unix()
	}
	slices.SortStableFunc(h.Trends, func(a, b digest.Trend) int {
		if la, lb := lastChange(a), lastChange(b); la != lb {
			return int(lb - la)
		}
		if ra, rb := gatedRank(a.Metric), gatedRank(b.Metric); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Group+a.Metric, b.Group+b.Metric)
	})
	return h
}

// trendMetric is a history point's metric in the catalog (an adjusted
// row under its raw metric's entry).
func trendMetric(name string) (metric.Metric, bool) {
	return metric.Lookup(strings.TrimPrefix(name, compare.AdjustedPrefix))
}

// gatedRank puts the metrics the gate decides on for a mesh lane before
// report-only ones, in the catalog's order.
func gatedRank(name string) int {
	if i := slices.IndexFunc(metric.Gated(metric.Compared(metric.ProxyRoles())),
		func(m metric.Metric) bool { return m.Name == name }); i >= 0 {
		return i
	}
	return 100
}

// unitOf is the trend's axis unit from the catalog: bytes in MiB,
// milliseconds as such, any other unit by the metric's column label, which
// says what it counts per request ("µs CPU / request").
func unitOf(name string) string {
	m, ok := trendMetric(name)
	switch {
	case !ok:
		return ""
	case m.Unit == "B" || m.Unit == "ms":
		_, unit := digest.Display(0, m.Unit)
		return unit
	default:
		return m.Label
	}
}
