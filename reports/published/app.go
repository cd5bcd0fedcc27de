package published

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/reports/digest"
)

// AppRow sets this harness's run of an application beside the figures
// published for the same application at the same load.
type AppRow struct {
	QPS  float64
	Case string
	Lane string // the mesh lane beside none
	// Have is false when the case has no valid run of none or of the mesh:
	// then only the published figures are shown.
	Have bool
	// Ours, in ms: medians over valid runs, and what the mesh adds over
	// none in the same run.
	NoneP50, MeshP50, AddedP50, AddedMax float64
	// Theirs are the sources' latency figures at this load: absolute
	// (metric latency) and added (given, or derived from absolute ones).
	Theirs []Figure
}

// AppComparison returns, when the digest holds one scenario named after an
// application a published source benchmarked (its `app`, e.g. emojivoto),
// that application's name and one row per case: ours beside theirs at the
// same rate. Empty otherwise.
func AppComparison(d *digest.Digest, s *Set) (string, []AppRow) {
	if s == nil || len(d.Scenarios) != 1 {
		return "", nil
	}
	app := d.Scenarios[0]
	var figs []Figure
	for _, f := range s.Figures {
		if f.Source.App == app && f.QPS > 0 && f.Unit == "ms" && (f.Metric == "latency" || strings.HasPrefix(f.Metric, "added_latency")) {
			figs = append(figs, f)
		}
	}
	if len(figs) == 0 {
		return "", nil
	}
	var rows []AppRow
	for _, c := range d.Cases {
		row := AppRow{QPS: c.QPS, Case: digest.CaseLabel(c)}
		for _, f := range figs {
			if f.QPS == c.QPS {
				row.Theirs = append(row.Theirs, f)
			}
		}
		for _, o := range d.Overheads(c) {
			if !aggregate.IsMeshLane(o.Lane) || !strings.HasPrefix(o.Lane, "mesh") {
				continue
			}
			mesh, none := d.Group(o.Lane, c), d.Group(noneOf(o.Lane), c)
			row.Lane, row.Have = o.Lane, true
			row.NoneP50, row.MeshP50 = none.Value(metric.P50()), mesh.Value(metric.P50())
			row.AddedP50 = row.MeshP50 - row.NoneP50
			row.AddedMax = mesh.Value(maxLatency()) - none.Value(maxLatency())
			break
		}
		rows = append(rows, row)
	}
	return app, rows
}

func noneOf(lane string) string {
	_, variant := aggregate.SplitLane(lane)
	return aggregate.JoinLane("none", variant)
}

// maxLatency is the catalog's max latency metric.
func maxLatency() metric.Metric {
	i := slices.IndexFunc(metric.Latency(), func(m metric.Metric) bool { return m.Label == "max" })
	return metric.Latency()[i]
}

// AppFigureLabel names one published figure in an application row: mesh,
// what it is, value, source.
func AppFigureLabel(f Figure) string {
	what := "latency"
	if strings.HasPrefix(f.Metric, "added_latency") {
		what = "adds"
	}
	d := ""
	if f.Derived {
		d = ", derived"
	}
	return fmt.Sprintf("%s %s %.4g ms at %s (%s%s)", f.Mesh, what, f.Value, f.Percentile, f.Source.ID, d)
}
