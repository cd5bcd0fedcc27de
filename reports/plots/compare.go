package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/meshbench/meshbench/harness/results"
)

// VerdictColor is the colour of a verdict in every plot and in the HTML.
func VerdictColor(v string) color.RGBA {
	switch v {
	case results.Pass:
		return rgb(0x009E73)
	case results.Fail:
		return rgb(0xD55E00)
	case results.Inconclusive:
		return rgb(0xE69F00)
	default:
		return rgb(0x888888)
	}
}

const maxCompareRows = 40

// comparison draws, per metric, base and candidate as % of the base median
// with their confidence intervals, the candidate coloured by its verdict
// and the metric's threshold marked.
func comparison(d Data) (*Figure, string, error) {
	c := d.Comparison
	if c == nil {
		return nil, "no comparison was given (run `meshbench gate` or pass --comparison)", nil
	}
	var rows []results.MetricComparison
	for _, m := range c.Metrics {
		if m.BaseMedian > 0 {
			rows = append(rows, m)
		}
	}
	if len(rows) == 0 {
		return nil, "the comparison has no metric with a positive base median", nil
	}
	// Gated rows first: they decide the verdict.
	var gated, rest []results.MetricComparison
	for _, m := range rows {
		if m.Gated {
			gated = append(gated, m)
		} else {
			rest = append(rest, m)
		}
	}
	rows = append(gated, rest...)
	note := ""
	if len(rows) > maxCompareRows {
		rows = rows[:maxCompareRows]
		note = fmt.Sprintf(" · first %d of %d rows (gated first); every row is in the table", maxCompareRows, len(c.Metrics))
	}
	p := newPlot("", "% of base median (lower is better)", "")
	p.Legend.Left = false
	p.Legend.Top = false
	names := make([]string, len(rows))
	seen := map[string]bool{}
	grey := color.RGBA{0x77, 0x77, 0x77, 0xff}
	for i, m := range rows {
		y := float64(len(rows) - 1 - i) // first row on top
		names[len(rows)-1-i] = fmt.Sprintf("%s · %s", m.Group, m.Metric)
		if !m.Gated {
			names[len(rows)-1-i] += " (report only)"
		}
		if i == len(gated) && i > 0 {
			p.Add(rule{at: y + 0.5, style: draw.LineStyle{Color: color.Gray{0x88}, Width: vg.Points(0.8)}})
		}
		scale := 100 / m.BaseMedian
		if err := interval(p, y+0.17, m.BaseCILo*scale, m.BaseCIHi*scale, 100, grey, draw.CircleGlyph{}); err != nil {
			return nil, "", err
		}
		vc := VerdictColor(m.Verdict)
		if err := interval(p, y-0.17, m.CandCILo*scale, m.CandCIHi*scale, m.CandMedian*scale, vc, draw.BoxGlyph{}); err != nil {
			return nil, "", err
		}
		if m.Gated && m.Threshold > 0 {
			t, _ := plotter.NewLine(plotter.XYs{{X: 100 * (1 + m.Threshold), Y: y - 0.4}, {X: 100 * (1 + m.Threshold), Y: y + 0.4}})
			t.Color, t.Width = rgb(0xD55E00), vg.Points(1.2)
			t.Dashes = []vg.Length{vg.Points(2), vg.Points(1.5)}
			p.Add(t)
			seen["threshold"] = true
		}
		seen[m.Verdict] = true
	}
	keys := []key{{label: "base (median, 95% CI)", color: grey, glyph: draw.CircleGlyph{}, line: true}}
	for _, v := range []string{results.Pass, results.Fail, results.Inconclusive, results.ReportOnly} {
		if seen[v] {
			keys = append(keys, key{label: "candidate: " + v, color: VerdictColor(v), glyph: draw.BoxGlyph{}, line: true})
		}
	}
	if seen["threshold"] {
		keys = append(keys, key{label: "gate threshold", color: rgb(0xD55E00), dashes: []vg.Length{vg.Points(2), vg.Points(1.5)}, line: true})
	}
	hundred, _ := plotter.NewLine(plotter.XYs{{X: 100, Y: -0.6}, {X: 100, Y: float64(len(rows)) - 0.4}})
	hundred.Color, hundred.Width = color.Gray{0x99}, vg.Points(0.8)
	p.Add(hundred)
	p.NominalY(names...)
	p.Y.Tick.Label.Font = font.From(sans, 8.5)
	h := vg.Length(len(rows))*0.3*vg.Inch + 1.6*vg.Inch
	sub := fmt.Sprintf("%s (candidate) vs %s (base) · %d rounds · Holm-adjusted one-sided Mann-Whitney at α %g%s",
		c.Candidate, c.Base, c.Rounds, c.Alpha, note)
	f, err := single(p, keys, 10*vg.Inch, h, "Base vs candidate: overall "+c.Verdict, sub)
	if f != nil {
		f.Caption = "Each row is one metric: grey, the base median with its 95% confidence interval, at 100%; coloured, the candidate median and interval as a % of the base median, coloured by verdict. The red dashed tick is the gate's threshold for that metric."
	}
	return f, "", err
}

// interval draws a horizontal CI segment with end caps and a point.
func interval(p *plot.Plot, y, lo, hi, mid float64, c color.RGBA, g draw.GlyphDrawer) error {
	if len(finite(plotter.XYs{{X: lo, Y: y}, {X: hi, Y: y}, {X: mid, Y: y}})) < 3 {
		return nil // a CI the gate could not compute is shown in the table only
	}
	if hi > lo {
		l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: y}, {X: hi, Y: y}})
		if err != nil {
			return err
		}
		l.Color, l.Width = c, vg.Points(2)
		p.Add(l)
		for _, x := range []float64{lo, hi} {
			cap, _ := plotter.NewLine(plotter.XYs{{X: x, Y: y - 0.09}, {X: x, Y: y + 0.09}})
			cap.Color, cap.Width = c, vg.Points(1.2)
			p.Add(cap)
		}
	}
	s, err := plotter.NewScatter(plotter.XYs{{X: mid, Y: y}})
	if err != nil {
		return err
	}
	s.Color, s.Shape, s.Radius = c, g, vg.Points(3.5)
	p.Add(s)
	return nil
}
