package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/meshbench/meshbench/harness/results"
)

// maxTimelines bounds the rows of the resilience figure: one per run.
const maxTimelines = 6

// faultShade is non-premultiplied: a translucent fill over the series.
var faultShade = color.NRGBA{R: 230, G: 80, B: 60, A: 60}

// resilienceTimeline draws, for each resilience run (up to maxTimelines),
// requests/s, errors/s and p99 per bucket over the run's time, with every
// fault's interval shaded.
func resilienceTimeline(d Data) (*Figure, string, error) {
	runs := d.Digest.Resilience
	if len(runs) == 0 {
		return nil, "no resilience scenario results", nil
	}
	if len(runs) > maxTimelines {
		runs = runs[:maxTimelines]
	}
	var rows [][]*plot.Plot
	for _, r := range runs {
		z := r.Resilience
		w := z.BucketMs / 1000
		if w <= 0 || len(z.Buckets) == 0 {
			continue
		}
		var rps, eps, p99 plotter.XYs
		for _, b := range z.Buckets {
			x := b.StartS + w/2
			rps = append(rps, plotter.XY{X: x, Y: float64(b.Requests) / w})
			eps = append(eps, plotter.XY{X: x, Y: float64(b.Errors) / w})
			if b.Requests > 0 {
				p99 = append(p99, plotter.XY{X: x, Y: b.P99Ms})
			}
		}
		verdict := "PASS"
		if !z.Passed {
			verdict = "FAIL"
		}
		name := fmt.Sprintf("%s %d · %s", r.Scenario, r.Repetition, verdict)
		row := make([]*plot.Plot, 3)
		for i, pn := range []struct {
			title, ylabel string
			xys           plotter.XYs
		}{{name + " · requests/s", "requests/s", rps}, {"errors/s", "errors/s", eps}, {"p99 per bucket", "ms", p99}} {
			p := newPlot(pn.title, "seconds from the load's start", pn.ylabel)
			p.Y.Min = 0
			top := 1.0
			for _, xy := range pn.xys {
				top = math.Max(top, xy.Y)
			}
			p.Y.Max = top * 1.1
			for _, f := range z.Faults {
				shade, err := plotter.NewPolygon(plotter.XYs{{X: f.BeganS, Y: 0}, {X: f.EndedS, Y: 0}, {X: f.EndedS, Y: p.Y.Max}, {X: f.BeganS, Y: p.Y.Max}})
				if err != nil {
					return nil, "", err
				}
				shade.Color, shade.LineStyle.Width = faultShade, 0
				p.Add(shade)
			}
			if err := addSeries(p, []string{r.LaneLabel()}, r.LaneLabel(), pn.xys, false); err != nil {
				return nil, "", err
			}
			row[i] = p
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, "resilience results without a timeline", nil
	}
	f, err := tiled(rows, []key{{label: "fault active", color: faultShade, line: true}}, 11*vg.Inch, vg.Length(len(rows))*3.2*vg.Inch+1.2*vg.Inch,
		"Resilience: the run's timeline under its faults",
		fmt.Sprintf("per %g ms bucket, by when requests started · shaded: fault active · first %d runs", z0(d).BucketMs, len(rows)))
	if f != nil {
		f.Caption = "Requests per second, errors per second and the exact p99 of each time bucket over each resilience run, with the interval of every fault shaded (a component killed until it served again, a flood or slow-loris attack; an abort fault covers the whole run)."
	}
	return f, "", err
}

func z0(d Data) *results.Resilience { return d.Digest.Resilience[0].Resilience }
