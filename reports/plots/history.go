package plots

import (
	"fmt"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

const maxTrends = 6

// history draws each trend as a time series, with a vertical line at each
// change point and the mean of every regime between change points.
func history(d Data) (*Figure, string, error) {
	h := d.History
	if h == nil || len(h.Trends) == 0 {
		return nil, "no history was given (pass --history)", nil
	}
	var ps [][]*plot.Plot
	note := ""
	for i, t := range h.Trends {
		if i == maxTrends {
			note = fmt.Sprintf(" · first %d of %d trends", maxTrends, len(h.Trends))
			break
		}
		if len(t.Points) < 2 {
			continue
		}
		p := newPlot(t.Group+" · "+t.Metric, "", t.Unit)
		span := t.Points[len(t.Points)-1].Time.Sub(t.Points[0].Time)
		format := "Jan 2"
		if span < 72*time.Hour {
			format = "Jan 2 15:04"
		}
		p.X.Tick.Marker = plot.TimeTicks{Format: format}
		xys := make(plotter.XYs, len(t.Points))
		lo, hi := t.Points[0].Value, t.Points[0].Value
		for j, pt := range t.Points {
			xys[j] = plotter.XY{X: float64(pt.Time.Unix()), Y: pt.Value}
			lo, hi = min(lo, pt.Value), max(hi, pt.Value)
		}
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, "", err
		}
		l.Color, l.Width = rgb(0x0072B2), vg.Points(1.2)
		s.Color, s.Radius, s.Shape = rgb(0x0072B2), vg.Points(2.2), draw.RingGlyph{}
		p.Add(l, s)
		// Regime means, between consecutive change points.
		bounds := append(append([]int{0}, t.ChangePoints...), len(t.Points))
		for k := 0; k+1 < len(bounds); k++ {
			a, b := bounds[k], bounds[k+1]
			if a >= b {
				continue
			}
			var sum float64
			for _, pt := range t.Points[a:b] {
				sum += pt.Value
			}
			m := sum / float64(b-a)
			ml, _ := plotter.NewLine(plotter.XYs{{X: xys[a].X, Y: m}, {X: xys[b-1].X, Y: m}})
			ml.Color, ml.Width = rgb(0x009E73), vg.Points(2.2)
			p.Add(ml)
		}
		pad := (hi - lo) * 0.08
		if pad == 0 {
			pad = 1
		}
		var labels plotter.XYLabels
		for _, cp := range t.ChangePoints {
			x := xys[cp].X
			if cp > 0 {
				x = (xys[cp-1].X + xys[cp].X) / 2
			}
			v, _ := plotter.NewLine(plotter.XYs{{X: x, Y: lo - pad}, {X: x, Y: hi + pad}})
			v.Color, v.Width, v.Dashes = rgb(0xD55E00), vg.Points(1.4), []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(v)
			labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: hi + pad})
			labels.Labels = append(labels.Labels, " "+shortRev(t.Points[cp].Revision))
		}
		if len(labels.XYs) > 0 {
			lb, err := plotter.NewLabels(labels)
			if err != nil {
				return nil, "", err
			}
			for k := range lb.TextStyle {
				lb.TextStyle[k].Color = rgb(0xD55E00)
				lb.TextStyle[k].Font = font.From(sans, 8)
			}
			p.Add(lb)
		}
		ps = append(ps, []*plot.Plot{p})
	}
	if len(ps) == 0 {
		return nil, "every trend in the history has fewer than two points", nil
	}
	keys := []key{{label: "value (one main-branch result)", color: rgb(0x0072B2), glyph: draw.RingGlyph{}, line: true},
		{label: "regime mean", color: rgb(0x009E73), line: true},
		{label: "change point (labelled with the first revision after it)", color: rgb(0xD55E00), dashes: []vg.Length{vg.Points(4), vg.Points(3)}, line: true}}
	f, err := tiled(ps, keys, 9*vg.Inch, vg.Length(len(ps))*2.3*vg.Inch+0.8*vg.Inch, "Trend over history",
		"E-Divisive change points from the gate's history · newest changes first"+note)
	if f != nil {
		f.Caption = "Each panel is one metric over the stored main-branch history; change points come from the gate's E-Divisive detector and do not block a merge."
	}
	return f, "", err
}

func shortRev(r string) string {
	if len(r) > 8 {
		return r[:8]
	}
	return r
}
