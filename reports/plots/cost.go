package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/reports/digest"
)

// Fit is a least-squares line y = A + B·x.
type Fit struct{ A, B float64 }

// FitLine fits xs, ys by ordinary least squares; ok is false when x does
// not vary.
func FitLine(xs, ys []float64) (Fit, bool) {
	n := float64(len(xs))
	if len(xs) < 2 || len(xs) != len(ys) {
		return Fit{}, false
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy, sxx, sxy = sx+xs[i], sy+ys[i], sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return Fit{}, false
	}
	b := (n*sxy - sx*sy) / den
	return Fit{A: (sy - b*sx) / n, B: b}, true
}

// CostFit is a least-squares fit of a component's total CPU against load:
// vCPU = Idle + PerKRPS·(qps/1000). Per 1000 rps that is PerKRPS +
// Idle·1000/qps: a fixed cost amortised over more requests, plus the
// marginal cost of a request, which is what a capacity planner needs.
type CostFit struct {
	Idle    float64 // vCPU at no load
	PerKRPS float64 // marginal vCPU per 1000 rps
}

// FitCost fits per-run (qps, vCPU per 1000 rps) samples.
func FitCost(qps, vcpuPerK []float64) (CostFit, bool) {
	total := make([]float64, len(qps))
	for i := range qps {
		total[i] = vcpuPerK[i] * qps[i] / 1000
	}
	f, ok := FitLine(qps, total)
	return CostFit{Idle: f.A, PerKRPS: f.B * 1000}, ok
}

// At is the fitted vCPU per 1000 rps at qps.
func (f CostFit) At(qps float64) float64 { return f.PerKRPS + f.Idle*1000/qps }

// cpuVsQPS draws vCPU per 1000 rps of each component role against QPS:
// every run as a dot, and the fitted cost model per lane.
func cpuVsQPS(d Data) (*Figure, string, error) {
	s := d.Digest.Sweep(digest.QPS)
	if s == nil {
		return nil, "the results hold no two fixed-QPS cases that differ only in QPS", nil
	}
	var roles []string
	for _, role := range aggregate.RoleOrder {
		for _, ser := range s.Series {
			for _, g := range ser.Groups {
				if g != nil && g.Component(role) != nil && !slices.Contains(roles, role) {
					roles = append(roles, role)
				}
			}
		}
	}
	if len(roles) == 0 {
		return nil, "no run recorded component CPU", nil
	}
	lanes := make([]string, len(s.Series))
	for i, ser := range s.Series {
		lanes[i] = ser.Lane
	}
	logX := s.X[len(s.X)-1]/s.X[0] >= 8
	cols := min(len(roles), 2)
	rows := (len(roles) + cols - 1) / cols
	ps := make([][]*plot.Plot, rows)
	for i := range ps {
		ps[i] = make([]*plot.Plot, cols)
	}
	for i, role := range roles {
		p := newPlot(role, "requested QPS (requests/s)", "vCPU per 1000 rps")
		p.Y.Min = 0
		p.X.Tick.Marker = valueTicks(s.X)
		if logX {
			p.X.Scale = plot.LogScale{}
		}
		p.Legend.Left = false
		for _, ser := range s.Series {
			var xs, ys []float64
			for j, g := range ser.Groups {
				if g == nil {
					continue
				}
				if c := g.Component(role); c != nil {
					for _, v := range c.VCPUSamples {
						xs, ys = append(xs, s.X[j]), append(ys, v)
					}
				}
			}
			if len(xs) == 0 {
				continue
			}
			pts := make(plotter.XYs, len(xs))
			for k := range xs {
				pts[k] = plotter.XY{X: xs[k], Y: ys[k]}
			}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, "", err
			}
			c := laneColor(ser.Lane)
			sc.Color, sc.Shape, sc.Radius = color.NRGBA{c.R, c.G, c.B, 0xb0}, laneGlyph(lanes, ser.Lane), vg.Points(2.6)
			p.Add(sc)
			fit, ok := FitCost(xs, ys)
			if !ok {
				continue
			}
			lo, hi := slices.Min(xs), slices.Max(xs)
			var curve plotter.XYs
			for k := 0; k <= 40; k++ {
				q := lo * math.Pow(hi/lo, float64(k)/40)
				curve = append(curve, plotter.XY{X: q, Y: max(0, fit.At(q))})
			}
			l, err := plotter.NewLine(curve)
			if err != nil {
				return nil, "", err
			}
			l.Color, l.Width, l.Dashes = c, vg.Points(1.5), laneDashes(lanes, ser.Lane)
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s: marginal %.2g, idle %.2g", ser.Lane, fit.PerKRPS, fit.Idle))
		}
		p.Legend.TextStyle.Font.Size = 8
		ps[i/cols][i%cols] = p
	}
	f, err := tiled(ps, laneKeys(lanes, true), 9*vg.Inch, vg.Length(rows)*3*vg.Inch+0.9*vg.Inch,
		"CPU per component: vCPU per 1000 rps vs QPS",
		"dots: every valid run · curves: least-squares fit of total CPU = idle + marginal × QPS, shown per 1000 rps\n"+
			"panel legends: marginal vCPU per 1000 rps and idle vCPU of each fit · "+s.Fixed)
	if f != nil {
		f.Caption = "CPU seconds of each component over the measured window per 1000 requests/s (1.0 = one core busy for every 1000 rps); dots are runs. " +
			"Each curve is a least-squares fit of the component's total CPU as a line in load, idle + marginal × QPS, shown per 1000 rps: it falls as the fixed (idle) cost is spread over more requests and levels off at the marginal cost. " + s.Fixed + "."
	}
	return f, "", err
}

// memory draws steady RSS per component role and lane at the reference
// case as grouped bars, with each group's peak as a ring.
func memory(d Data) (*Figure, string, error) {
	dg := d.Digest
	ref, ok := dg.ReferenceCase()
	if !ok {
		return nil, "no valid runs", nil
	}
	var roles, lanes []string
	for _, role := range aggregate.RoleOrder {
		for _, lane := range dg.Lanes {
			if g := dg.Group(lane, ref); g != nil {
				if c := g.Component(role); c != nil && c.RSSSteadyBytes > 0 {
					if !slices.Contains(roles, role) {
						roles = append(roles, role)
					}
					if !slices.Contains(lanes, lane) {
						lanes = append(lanes, lane)
					}
				}
			}
		}
	}
	if len(roles) == 0 {
		return nil, "no run of the reference case recorded memory", nil
	}
	slices.SortStableFunc(lanes, func(a, b string) int { return slices.Index(dg.Lanes, a) - slices.Index(dg.Lanes, b) })
	p := newPlot("", "component", "resident memory (MiB)")
	p.Y.Min = 0
	p.NominalX(roles...)
	p.X.Min, p.X.Max = -0.55, float64(len(roles))-0.45
	p.Legend.Left = false
	// Bars share 80% of each role's slot; the data area is the figure
	// width less the axis and margins.
	const figW = 9 * vg.Inch
	w := (figW - 1.1*vg.Inch) / vg.Length(len(roles)) * 0.8 / vg.Length(len(lanes))
	for i, lane := range lanes {
		vals := make(plotter.Values, len(roles))
		peaks := plotter.XYs{}
		for j, role := range roles {
			if c := dg.Group(lane, ref).Component(role); c != nil {
				vals[j] = c.RSSSteadyBytes / (1 << 20)
				if c.RSSPeakBytes > 0 {
					peaks = append(peaks, plotter.XY{X: float64(j), Y: float64(c.RSSPeakBytes) / (1 << 20)})
				}
			}
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, "", err
		}
		b.Color = laneColor(lane)
		b.LineStyle.Width = 0
		b.Offset = vg.Length(float64(i)-float64(len(lanes)-1)/2) * w
		p.Add(b)
		if len(peaks) > 0 {
			sc, err := plotter.NewScatter(peaks)
			if err != nil {
				return nil, "", err
			}
			sc.GlyphStyleFunc = func(int) draw.GlyphStyle {
				return draw.GlyphStyle{Color: color.Black, Radius: vg.Points(3), Shape: offsetGlyph{draw.RingGlyph{}, b.Offset}}
			}
			p.Add(sc)
		}
	}
	keys := laneKeys(lanes, false)
	for i := range keys {
		keys[i].glyph = draw.BoxGlyph{}
	}
	keys = append(keys, key{label: "peak", color: color.Black, glyph: draw.RingGlyph{}})
	f, err := single(p, keys, figW, 4.6*vg.Inch, "Memory per component",
		"bars: steady RSS, median over runs · rings: peak RSS · "+digest.CaseLabel(ref))
	if f != nil {
		f.Caption = fmt.Sprintf("Resident set size of each component at %s: bars are the steady value (median over valid runs), rings the highest peak seen.", digest.CaseLabel(ref))
	}
	return f, "", err
}

// offsetGlyph draws a glyph shifted sideways, to sit over an offset bar.
type offsetGlyph struct {
	draw.GlyphDrawer
	dx vg.Length
}

func (o offsetGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	o.GlyphDrawer.DrawGlyph(c, sty, vg.Point{X: pt.X + o.dx, Y: pt.Y})
}
