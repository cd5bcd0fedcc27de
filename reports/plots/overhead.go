package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/reports/digest"
	"github.com/meshbench/meshbench/reports/published"
)

// dotRow is one row of an overhead dot plot.
type dotRow struct {
	label     string
	value     float64 // <= 0 cannot sit on a log axis: drawn as a note
	lo, hi    float64
	color     color.RGBA
	ours      bool
	derived   bool
	sortGroup string
	source    *published.Source
}

var meshColors = map[string]color.RGBA{"istio": rgb(0xE69F00), "linkerd": rgb(0x009E73)}

const publishedWarning = "Published rows come from other machines, loads and versions (conditions in the report's table): orders of magnitude, not same-machine numbers."

// SourceNote is one line naming a published source's test conditions.
func SourceNote(s *published.Source) string {
	n := fmt.Sprintf("[%s] %s %s: %s", s.ID, s.Mesh, s.Version, s.Conditions)
	if r := []rune(n); len(r) > 190 {
		n = string(r[:189]) + "…"
	}
	return strings.Join(strings.Fields(n), " ")
}

// PublishedLabel names a published figure in plots and tables.
func PublishedLabel(f published.Figure) string {
	mesh := f.Mesh
	if mesh != "" {
		mesh = strings.ToUpper(mesh[:1]) + mesh[1:]
	}
	parts := []string{mesh}
	if v := f.Source.Version; v != "" && !strings.Contains(v, ",") {
		parts[0] += " " + v
	}
	if f.Variant != "" {
		parts = append(parts, f.Variant)
	}
	if f.Note != "" {
		parts = append(parts, f.Note)
	}
	l := strings.Join(parts, " · ") + " [" + f.Source.ID + "]"
	if f.Derived {
		l += " *"
	}
	return l
}

func publishedRow(f published.Figure, group string) dotRow {
	c, ok := meshColors[f.Mesh]
	if !ok {
		c = rgb(0x777777)
	}
	return dotRow{label: PublishedLabel(f), value: f.Value, lo: f.Lo, hi: f.Hi, color: c, derived: f.Derived, sortGroup: group, source: f.Source}
}

func overheadLatency(d Data) (*Figure, string, error) {
	var rows []dotRow
	ref, ok := d.Digest.ReferenceCase()
	ovs := []digest.Overhead(nil)
	if ok {
		ovs = d.Digest.Overheads(ref)
	}
	// The short latency columns: the published figures' percentiles; ours
	// where the overhead is stated in it.
	for _, m := range metric.Short(metric.Latency()) {
		pct := m.Label
		for _, o := range ovs {
			if !aggregate.IsMeshLane(o.Lane) {
				continue
			}
			v := o.AddedTo(m)
			if math.IsNaN(v) {
				continue
			}
			rows = append(rows, dotRow{label: fmt.Sprintf("this machine · %s · %s", o.Lane, pct), value: v, lo: v, hi: v,
				color: laneColor(o.Lane), ours: true, sortGroup: pct})
		}
		for _, f := range d.Published.ByKind(published.KindAddedLatency) {
			if f.Percentile == pct {
				r := publishedRow(f, pct)
				r.label = pct + " · " + r.label
				rows = append(rows, r)
			}
		}
	}
	sub := "added latency = lane − no-mesh baseline, same source and load"
	if ok && len(ovs) > 0 {
		sub = "this machine: " + digest.CaseLabel(ref) + ", lane − `none` measured in the same run · " + sub
	}
	return dotPlot(rows, "added latency (ms, log scale)", "Added latency: this mesh beside published Istio and Linkerd figures", sub)
}

func overheadCPU(d Data) (*Figure, string, error) {
	return proxyCostPlot(d, published.KindProxyCPU, func(p digest.ProxyCost) (float64, bool) { return p.VCPUPer1000RPS, true },
		"one proxy's CPU per 1000 requests/s",
		"vCPU per 1000 rps, one proxy (log scale)", "Proxy CPU: this mesh beside published figures")
}

func overheadMemory(d Data) (*Figure, string, error) {
	return proxyCostPlot(d, published.KindProxyMemory, func(p digest.ProxyCost) (float64, bool) { return p.RSSSteadyMiB, p.RSSSteadyMiB > 0 },
		"one proxy's resident memory (ours: steady RSS in MiB; published: MB as stated)",
		"memory per proxy (MB, log scale)", "Proxy memory: this mesh beside published figures")
}

// proxyCostPlot puts one per-proxy cost of this machine's mesh lanes (in the
// reference case) beside the published figures of the same kind. value
// returns the cost and whether the proxy has it.
func proxyCostPlot(d Data, kind published.Kind, value func(digest.ProxyCost) (float64, bool), sub, xLabel, title string) (*Figure, string, error) {
	var rows []dotRow
	ref, ok := d.Digest.ReferenceCase()
	if ok {
		for _, o := range d.Digest.Overheads(ref) {
			if !aggregate.IsMeshLane(o.Lane) {
				continue
			}
			for _, p := range o.Proxies {
				if v, has := value(p); has {
					rows = append(rows, dotRow{label: fmt.Sprintf("this machine · %s · %s", o.Lane, p.Role), value: v,
						lo: v, hi: v, color: laneColor(o.Lane), ours: true})
				}
			}
		}
	}
	for _, f := range d.Published.ByKind(kind) {
		rows = append(rows, publishedRow(f, ""))
	}
	if ok {
		sub += " · this machine: " + digest.CaseLabel(ref)
	}
	return dotPlot(rows, xLabel, title, sub)
}

// dotPlot draws rows top to bottom on a log axis: ours as filled squares,
// published as circles (rings when derived here), ranges as segments.
func dotPlot(rows []dotRow, xlabel, title, sub string) (*Figure, string, error) {
	hasOurs := slices.ContainsFunc(rows, func(r dotRow) bool { return r.ours })
	hasPub := slices.ContainsFunc(rows, func(r dotRow) bool { return !r.ours })
	switch {
	case !hasOurs && !hasPub:
		return nil, "neither this run (it needs `none` and a mesh lane in one case) nor the published set has such a figure", nil
	case !hasOurs:
		return nil, "these results have no mesh lane beside a `none` lane in one case, so there is nothing of ours to set beside the published figures", nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		if r.lo > 0 {
			lo = math.Min(lo, r.lo)
		}
		if r.hi > 0 {
			hi = math.Max(hi, r.hi)
		}
	}
	if math.IsInf(lo, 1) {
		return nil, "every value is zero or negative (within noise); a log axis cannot show them", nil
	}
	lo, hi = lo/1.6, hi*1.6
	p := newPlot("", xlabel, "")
	p.X.Scale = plot.LogScale{}
	p.X.Min, p.X.Max = lo, hi
	p.X.Tick.Marker = logTicks(lo, hi)
	p.Legend.Left = false
	p.Legend.Top = false
	names := make([]string, len(rows))
	for i, r := range rows {
		y := float64(len(rows) - 1 - i)
		label := r.label
		if r.value <= 0 {
			label += fmt.Sprintf(" (%.3g: ≤ 0, not on log axis)", r.value)
		}
		names[len(rows)-1-i] = label
		if r.ours {
			band, _ := plotter.NewLine(plotter.XYs{{X: lo, Y: y}, {X: hi, Y: y}})
			band.Color, band.Width = color.NRGBA{0x00, 0x72, 0xB2, 0x26}, vg.Points(9)
			p.Add(band)
		}
		if r.value <= 0 {
			continue
		}
		if r.hi > r.lo && r.lo > 0 {
			seg, _ := plotter.NewLine(plotter.XYs{{X: r.lo, Y: y}, {X: r.hi, Y: y}})
			seg.Color, seg.Width = r.color, vg.Points(2)
			p.Add(seg)
		}
		s, err := plotter.NewScatter(plotter.XYs{{X: r.value, Y: y}})
		if err != nil {
			return nil, "", err
		}
		s.Color, s.Radius, s.Shape = r.color, vg.Points(4), draw.GlyphDrawer(draw.CircleGlyph{})
		if r.ours {
			s.Shape = draw.BoxGlyph{}
		} else if r.derived {
			s.Shape = draw.RingGlyph{}
		}
		p.Add(s)
		v, _ := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: math.Max(r.value, r.hi), Y: y}}, Labels: []string{"  " + fmtNum(r.value)}})
		for k := range v.TextStyle {
			v.TextStyle[k].Font = font.From(sans, 8)
			v.TextStyle[k].YAlign = draw.YCenter
			v.TextStyle[k].Color = color.Gray{0x44}
		}
		p.Add(v)
	}
	p.NominalY(names...)
	p.Y.Tick.Label.Font = font.From(sans, 8.5)
	keys := []key{{label: "this machine (shaded rows)", color: rgb(0x0072B2), glyph: draw.BoxGlyph{}},
		{label: "Istio, published", color: meshColors["istio"], glyph: draw.CircleGlyph{}},
		{label: "Linkerd, published", color: meshColors["linkerd"], glyph: draw.CircleGlyph{}},
		{label: "* derived here from published numbers", color: rgb(0x555555), glyph: draw.RingGlyph{}},
		{label: "range", color: rgb(0x555555), line: true}}
	// The test conditions of every source drawn, under the plot itself, so
	// the PNG carries them wherever it is pasted.
	var notes []string
	seen := map[string]bool{}
	for _, r := range rows {
		if r.source != nil && !seen[r.source.ID] {
			seen[r.source.ID] = true
			notes = append(notes, SourceNote(r.source))
		}
	}
	h := vg.Length(len(rows))*0.21*vg.Inch + 1.9*vg.Inch + vg.Length(len(notes))*11
	f, err := single(p, keys, 11*vg.Inch, h, title, sub+"\n"+publishedWarning, notes...)
	if f != nil {
		f.Notes = notes
		f.Caption = publishedWarning + " Labels end in the source id of the table below; * marks a figure derived here (formula in the table)."
	}
	return f, "", err
}
