package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/telemetrycost"
	"github.com/meshbench/meshbench/reports/digest"
)

// telemetryCost draws what each telemetry variant adds over the all-off
// variant, the way Istio compared its telemetry versions: bars of added CPU
// per request (each proxy) and of added p90, each with its 95% interval.
func telemetryCost(d Data) (*Figure, string, error) {
	if len(d.Digest.Telemetry) == 0 {
		return nil, "no telemetry variants (matrix.telemetry) in these results", nil
	}
	t := d.Digest.Telemetry[0]
	var rows []telemetrycost.Row
	for _, r := range t.Rows {
		if r.Variant != results.TelemetryOff {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 || len(rows) == len(t.Rows) {
		return nil, fmt.Sprintf("lane %s ran no variant beside %q to compare", t.Lane, results.TelemetryOff), nil
	}
	col := func(name string) int {
		for i, m := range t.Columns {
			if m.Name == name {
				return i
			}
		}
		return -1
	}
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Variant
	}
	cpu := newPlot("Added CPU per request", "", "µs per request over off")
	series := []struct {
		label string
		col   int
		color color.RGBA
	}{
		{"client-proxy", col(metric.CPU(results.RoleClientProxy).Name), rgb(0x0072B2)},
		{"server-proxy", col(metric.CPU(results.RoleServerProxy).Name), rgb(0xE69F00)},
	}
	var keys []key
	for i, s := range series {
		if err := bars(cpu, rows, s.col, s.color, 0.34, float64(2*i-1)*0.18); err != nil {
			return nil, "", err
		}
		keys = append(keys, key{label: s.label + " (Hodges-Lehmann shift, 95% interval)", color: s.color, glyph: draw.BoxGlyph{}})
	}
	cpu.NominalX(names...)
	p90 := newPlot("Added p90 latency", "", "ms over off")
	if err := bars(p90, rows, col(metric.P90().Name), rgb(0x009E73), 0.5, 0); err != nil {
		return nil, "", err
	}
	keys = append(keys, key{label: "p90", color: rgb(0x009E73), glyph: draw.BoxGlyph{}})
	p90.NominalX(names...)
	for _, p := range []*plot.Plot{cpu, p90} {
		p.Legend.Top = false
		p.Add(rule{at: 0, style: draw.LineStyle{Color: color.Gray{0x55}, Width: vg.Points(0.8)}})
	}
	sub := fmt.Sprintf("%s · %s · each variant minus off, same run, interleaved", t.Lane, digest.CaseLabel(t.Case))
	f, err := tiled([][]*plot.Plot{{cpu, p90}}, keys, 11*vg.Inch, 4.6*vg.Inch, "What telemetry costs", sub)
	if f != nil {
		f.Caption = "Each bar is what a telemetry variant adds over the variant with every feature off, measured in the same run with the variants interleaved per repetition: the Hodges-Lehmann shift of the per-run values, the whisker its 95% interval (the regression gate's statistics). An interval above 0 is a cost the run can tell apart from noise."
	}
	return f, "", err
}

// bars adds one bar per row (column c's added cost, width in variant
// slots) and its interval whisker, centred xoff from each variant's slot.
func bars(p *plot.Plot, rows []telemetrycost.Row, c int, clr color.RGBA, width, xoff float64) error {
	if c < 0 {
		return nil
	}
	for i, r := range rows {
		cell := r.Cells[c]
		if !cell.Compared {
			continue
		}
		x, v := float64(i)+xoff, cell.Added.Estimate
		bar, err := plotter.NewPolygon(plotter.XYs{{X: x - width/2, Y: 0}, {X: x + width/2, Y: 0}, {X: x + width/2, Y: v}, {X: x - width/2, Y: v}})
		if err != nil {
			continue // a value that is not finite is in the table only
		}
		bar.Color, bar.LineStyle.Width = clr, 0
		p.Add(bar)
		whisker, err := plotter.NewLine(plotter.XYs{{X: x, Y: cell.Added.Lo}, {X: x, Y: cell.Added.Hi}})
		if err != nil {
			continue
		}
		whisker.Color, whisker.Width = color.Gray{0x22}, vg.Points(1.4)
		p.Add(whisker)
		for _, y := range []float64{cell.Added.Lo, cell.Added.Hi} {
			if capl, err := plotter.NewLine(plotter.XYs{{X: x - width/5, Y: y}, {X: x + width/5, Y: y}}); err == nil {
				capl.Color, capl.Width = color.Gray{0x22}, vg.Points(1.2)
				p.Add(capl)
			}
		}
	}
	return nil
}
