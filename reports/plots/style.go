package plots

import (
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/meshbench/meshbench/harness/aggregate"
)

func rgb(hex uint32) color.RGBA {
	return color.RGBA{R: uint8(hex >> 16), G: uint8(hex >> 8), B: uint8(hex), A: 0xff}
}

// laneColors come from the Okabe-Ito palette, which stays distinct for the
// common forms of colour blindness; a lane keeps its colour in every plot.
var laneColors = map[string]color.RGBA{
	"none":            rgb(0x000000),
	"mesh/both":       rgb(0x0072B2),
	"mesh":            rgb(0x0072B2),
	"mesh/clientonly": rgb(0x56B4E9),
	"mesh/serveronly": rgb(0xCC79A7),
	// The ingress modes must not take mesh/both's colour through the
	// "mesh" prefix: they are drawn beside it.
	"mesh/ingress":      rgb(0xF0E442),
	"mesh/ingress+both": rgb(0x332288),
	"istio":             rgb(0xE69F00),
	"linkerd":           rgb(0x009E73),
	"haproxy":           rgb(0xD55E00),
	"nginx":             rgb(0x8C6D31),
	"httputil":          rgb(0x999999),
	// The reference lanes' ingress modes are drawn beside the mesh's and
	// their own sidecar form (Paul Tol's muted palette, as mesh/ingress+both).
	"haproxy/ingress":      rgb(0xCC6677),
	"haproxy/ingress+both": rgb(0x882255),
	"nginx/ingress":        rgb(0xDDCC77),
	"nginx/ingress+both":   rgb(0x999933),
}

var spare = []color.RGBA{rgb(0x7F3C8D), rgb(0x11A579), rgb(0x3969AC), rgb(0xF2B701), rgb(0xE73F74)}

// laneColor is a lane's colour; a lane's base build (when the results mix
// builds) is a lighter tint of its candidate's.
func laneColor(label string) color.RGBA {
	lane, variant := aggregate.SplitLane(label)
	c := laneHue(lane)
	if variant == "base" {
		return color.RGBA{R: c.R + (0xff-c.R)/2, G: c.G + (0xff-c.G)/2, B: c.B + (0xff-c.B)/2, A: 0xff}
	}
	return c
}

func laneHue(lane string) color.RGBA {
	if c, ok := laneColors[lane]; ok {
		return c
	}
	if c, ok := laneColors[strings.SplitN(lane, "/", 2)[0]]; ok {
		return c
	}
	h := 0
	for _, r := range lane {
		h = h*31 + int(r)
	}
	return spare[(h%len(spare)+len(spare))%len(spare)]
}

var glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}}

func laneGlyph(lanes []string, lane string) draw.GlyphDrawer {
	i := slices.Index(lanes, lane)
	if i < 0 {
		i = 0
	}
	return glyphs[i%len(glyphs)]
}

// dashes differ by lane too, so series stay apart in greyscale print.
func laneDashes(lanes []string, lane string) []vg.Length {
	switch slices.Index(lanes, lane) % 3 {
	case 1:
		return nil
	case 2:
		return []vg.Length{vg.Points(6), vg.Points(3)}
	default:
		if l, _ := aggregate.SplitLane(lane); l == "none" {
			return []vg.Length{vg.Points(2), vg.Points(2)}
		}
		return nil
	}
}

func grid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{0xe4}
	g.Horizontal.Color = color.Gray{0xe4}
	return g
}

// addSeries adds a line with points for one lane and a legend entry.
func addSeries(p *plot.Plot, lanes []string, lane string, xys plotter.XYs, legend bool) error {
	xys = finite(xys)
	if len(xys) == 0 {
		return nil
	}
	l, s, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	c := laneColor(lane)
	l.Color, l.Width, l.Dashes = c, vg.Points(1.6), laneDashes(lanes, lane)
	s.Color, s.Shape, s.Radius = c, laneGlyph(lanes, lane), vg.Points(3)
	p.Add(l, s)
	if legend {
		p.Legend.Add(lane, l, s)
	}
	return nil
}

// finite drops points a plot cannot place (NaN, ±Inf).
func finite(xys plotter.XYs) plotter.XYs {
	out := xys[:0:0]
	for _, p := range xys {
		if !math.IsNaN(p.X) && !math.IsNaN(p.Y) && !math.IsInf(p.X, 0) && !math.IsInf(p.Y, 0) {
			out = append(out, p)
		}
	}
	return out
}

// fmtNum prints a tick value without trailing zeros.
func fmtNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 1000 && math.Mod(v, 1000) == 0:
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + "k"
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(v, 'g', 3, 64)
	default:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
}

// readableTicks are gonum's default tick positions labelled with the
// fewest decimals that print every value exactly (the default can print
// 1.1 for both 1.05 and 1.1).
type readableTicks struct{}

func (readableTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for prec := 0; prec <= 6; prec++ {
		seen, ok := map[string]bool{}, true
		for i := range ts {
			if ts[i].Label == "" {
				continue
			}
			l := strconv.FormatFloat(ts[i].Value, 'f', prec, 64)
			back, _ := strconv.ParseFloat(l, 64)
			if seen[l] || math.Abs(back-ts[i].Value) > 1e-9*math.Max(1, math.Abs(ts[i].Value)) {
				ok = false
				break
			}
			seen[l] = true
		}
		if ok {
			for i := range ts {
				if ts[i].Label != "" {
					ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', prec, 64)
				}
			}
			break
		}
	}
	return ts
}

// valueTicks marks exactly the measured x values (2, 4, 8 ... connections).
func valueTicks(xs []float64) plot.ConstantTicks {
	t := make(plot.ConstantTicks, len(xs))
	for i, x := range xs {
		t[i] = plot.Tick{Value: x, Label: fmtNum(x)}
	}
	return t
}

// logTicks labels 1-2-5 steps of each decade in [lo, hi].
func logTicks(lo, hi float64) plot.Ticker {
	return plot.TickerFunc(func(min, max float64) []plot.Tick {
		var ts []plot.Tick
		for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
			dec := math.Pow(10, e)
			for _, m := range []float64{1, 2, 3, 4, 5, 6, 7, 8, 9} {
				v := m * dec
				if v < min*0.999 || v > max*1.001 {
					continue
				}
				t := plot.Tick{Value: v}
				if m == 1 || m == 2 || m == 5 {
					t.Label = fmtNum(v)
				}
				ts = append(ts, t)
			}
		}
		return ts
	})
}

// rule is a horizontal (or vertical) line across the whole data area at a
// data coordinate; unlike a plotter.Line it does not widen the axis range.
type rule struct {
	at       float64
	vertical bool
	style    draw.LineStyle
}

func (r rule) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	if r.vertical {
		x := tx(r.at)
		c.StrokeLine2(r.style, x, c.Min.Y, x, c.Max.Y)
		return
	}
	y := ty(r.at)
	c.StrokeLine2(r.style, c.Min.X, y, c.Max.X, y)
}
