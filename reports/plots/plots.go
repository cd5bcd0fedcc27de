package plots

import (
	"bytes"
	"context"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports/digest"
	"github.com/meshbench/meshbench/reports/published"
)

// Data is what the figures are drawn from; every field may be empty.
type Data struct {
	Digest     *digest.Digest
	Comparison *results.Comparison
	History    *digest.History
	Published  *published.Set
}

// Figure is one drawn plot.
type Figure struct {
	Name    string // file name without .png, stable across runs
	Title   string
	Caption string // what is plotted, under which conditions
	PNG     []byte
	Width   int // pixels
	Height  int
	Notes   []string // footnotes drawn under the plot (test conditions of published figures)
}

// Omission is a figure that was not drawn, and why.
type Omission struct {
	Name   string
	Title  string
	Reason string
}

// maker draws one figure or says why it cannot.
type maker struct {
	name, title string
	draw        func(Data) (*Figure, string, error)
}

var makers = []maker{
	{"latency-vs-connections", "Latency percentiles vs connections", latencyVsConnections},
	{"latency-vs-qps", "Latency percentiles vs QPS", latencyVsQPS},
	{"latency-cdf", "Latency distribution (CDF)", latencyCDF},
	{"cpu-vs-qps", "CPU per component vs QPS", cpuVsQPS},
	{"memory", "Memory per component", memory},
	{"comparison", "Base vs candidate", comparison},
	{"history", "Trend over history", history},
	{"overhead-latency", "Added latency beside published figures", overheadLatency},
	{"overhead-cpu", "Proxy CPU beside published figures", overheadCPU},
	{"overhead-memory", "Proxy memory beside published figures", overheadMemory},
	{"control-plane", "Control-plane convergence", controlPlane},
	{"resilience", "Resilience timeline", resilienceTimeline},
	{"telemetry-cost", "What telemetry costs", telemetryCost},
}

// All draws every figure the data supports, in report order.
func All(ctx context.Context, d Data) ([]Figure, []Omission, error) {
	if d.Digest == nil {
		d.Digest = digest.Build(nil)
	}
	var figs []Figure
	var omitted []Omission
	for _, m := range makers {
		if err := ctx.Err(); err != nil {
			return figs, omitted, err
		}
		f, reason, err := safeDraw(m, d)
		if err != nil {
			return figs, omitted, fmt.Errorf("%s: %w", m.name, err)
		}
		if f == nil {
			omitted = append(omitted, Omission{Name: m.name, Title: m.title, Reason: reason})
			continue
		}
		f.Name, f.Title = m.name, m.title
		figs = append(figs, *f)
	}
	return figs, omitted, nil
}

// safeDraw runs one maker; gonum/plot panics on some degenerate input
// (a log axis over non-positive values, for one), and a report that cannot
// draw one figure must still render the rest rather than take the run that
// produced the results down with it.
func safeDraw(m maker, d Data) (f *Figure, reason string, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, reason, err = nil, fmt.Sprintf("could not be drawn from these values (%v)", p), nil
		}
	}()
	return m.draw(d)
}

const dpi = 144

// render draws fn on a w x h inch canvas and encodes it as PNG.
func render(w, h vg.Length, fn func(dc draw.Canvas)) (*Figure, error) {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	dc := draw.New(c)
	fn(dc)
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	b := c.Image().Bounds()
	return &Figure{PNG: buf.Bytes(), Width: b.Dx(), Height: b.Dy()}, nil
}

// single renders one plot with a header (title and subtitle) above it.
func single(p *plot.Plot, keys []key, w, h vg.Length, title, subtitle string, footer ...string) (*Figure, error) {
	return render(w, h, func(dc draw.Canvas) {
		body := legendRow(header(dc, title, subtitle), keys)
		body = footnotes(body, footer)
		p.Draw(body)
	})
}

// key is one entry of a figure-wide legend.
type key struct {
	label  string
	color  color.Color
	glyph  draw.GlyphDrawer // nil: line only
	dashes []vg.Length
	line   bool
}

// laneKeys is the legend of lanes, drawn once above all panels so no
// legend box ever hides data.
func laneKeys(lanes []string, line bool) []key {
	ks := make([]key, len(lanes))
	for i, l := range lanes {
		ks[i] = key{label: l, color: laneColor(l), glyph: laneGlyph(lanes, l), dashes: laneDashes(lanes, l), line: line}
	}
	return ks
}

// tiled renders plots in a grid under a header and a legend row.
func tiled(ps [][]*plot.Plot, keys []key, w, h vg.Length, title, subtitle string) (*Figure, error) {
	return render(w, h, func(dc draw.Canvas) {
		body := header(dc, title, subtitle)
		body = legendRow(body, keys)
		t := draw.Tiles{Rows: len(ps), Cols: len(ps[0]), PadX: vg.Points(14), PadY: vg.Points(10),
			PadTop: vg.Points(2), PadBottom: vg.Points(2), PadLeft: vg.Points(2), PadRight: vg.Points(6)}
		cs := plot.Align(ps, t, body)
		for i := range ps {
			for j := range ps[i] {
				if ps[i][j] != nil {
					ps[i][j].Draw(cs[i][j])
				}
			}
		}
	})
}

// header draws the title and subtitle and returns the canvas below them.
func header(dc draw.Canvas, title, subtitle string) draw.Canvas {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	ts := textStyle(13, color.Black)
	ss := textStyle(9, color.Gray{0x55})
	ts.XAlign, ss.XAlign = draw.XLeft, draw.XLeft
	top := dc.Max.Y - vg.Points(8)
	x := dc.Min.X + vg.Points(10)
	dc.FillText(ts, vg.Point{X: x, Y: top - ts.Height(title)}, title)
	used := ts.Height(title) + vg.Points(8)
	if subtitle != "" {
		used += ss.Height(subtitle)
		dc.FillText(ss, vg.Point{X: x, Y: top - used}, subtitle)
		used += vg.Points(14)
	}
	body := dc
	body.Max.Y -= used
	body.Min.X += vg.Points(4)
	body.Max.X -= vg.Points(6)
	body.Min.Y += vg.Points(4)
	return body
}

// sans is the face of every text in every figure: at PNG sizes a sans
// face reads better than gonum's default serif.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// legendRow draws keys left to right at the top of dc and returns the
// canvas below them.
func legendRow(dc draw.Canvas, keys []key) draw.Canvas {
	if len(keys) == 0 {
		return dc
	}
	ts := textStyle(10, color.Black)
	ts.YAlign = draw.YCenter
	y := dc.Max.Y - vg.Points(8)
	x := dc.Min.X + vg.Points(8)
	const rowH = 16
	lines := 1
	for _, k := range keys {
		sw := vg.Points(22)
		if w := sw + vg.Points(4) + ts.Width(k.label); x+w > dc.Max.X && x > dc.Min.X+vg.Points(8) {
			x, y, lines = dc.Min.X+vg.Points(8), y-vg.Points(rowH), lines+1
		}
		if k.line {
			dc.StrokeLines(draw.LineStyle{Color: k.color, Width: vg.Points(1.8), Dashes: k.dashes}, []vg.Point{{X: x, Y: y}, {X: x + sw, Y: y}})
		}
		if k.glyph != nil {
			dc.DrawGlyphNoClip(draw.GlyphStyle{Color: k.color, Radius: vg.Points(3.5), Shape: k.glyph}, vg.Point{X: x + sw/2, Y: y})
		}
		x += sw + vg.Points(4)
		dc.FillText(ts, vg.Point{X: x, Y: y}, k.label)
		x += ts.Width(k.label) + vg.Points(16)
	}
	dc.Max.Y -= vg.Points(float64(rowH*lines) + 6)
	return dc
}

// footnotes draws lines at the bottom of dc and returns the canvas above.
func footnotes(dc draw.Canvas, lines []string) draw.Canvas {
	if len(lines) == 0 {
		return dc
	}
	ts := textStyle(7.5, color.Gray{0x44})
	const lineH = 11
	y := dc.Min.Y + vg.Points(4)
	for i := len(lines) - 1; i >= 0; i-- {
		dc.FillText(ts, vg.Point{X: dc.Min.X + vg.Points(6), Y: y}, lines[i])
		y += vg.Points(lineH)
	}
	dc.Min.Y = y + vg.Points(6)
	return dc
}

func textStyle(size vg.Length, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(sans, size), Handler: plot.DefaultTextHandler,
		XAlign: draw.XLeft, YAlign: draw.YBottom}
}

// newPlot is a plot with the house style: grid, readable ticks.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, 11)
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.X.Label.TextStyle.Font, p.Y.Label.TextStyle.Font = font.From(sans, 10), font.From(sans, 10)
	p.X.Tick.Label.Font, p.Y.Tick.Label.Font = font.From(sans, 9), font.From(sans, 9)
	p.Legend.TextStyle.Font = font.From(sans, 9)
	p.Y.Tick.Marker = readableTicks{}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.Padding = vg.Points(2)
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.Add(grid())
	return p
}
