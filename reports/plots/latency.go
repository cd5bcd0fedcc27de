package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/reports/digest"
)

func latencyVsConnections(d Data) (*Figure, string, error) {
	return latencySweep(d.Digest, digest.Connections, "connections", "connections (concurrent)")
}

func latencyVsQPS(d Data) (*Figure, string, error) {
	return latencySweep(d.Digest, digest.QPS, "QPS", "requested QPS (requests/s)")
}

// latencySweep draws a 2x2 grid, one panel per percentile, one line per lane.
func latencySweep(dg *digest.Digest, dim digest.Dimension, what, xlabel string) (*Figure, string, error) {
	s := dg.Sweep(dim)
	if s == nil {
		return nil, fmt.Sprintf("the results hold no two cases that differ only in %s", what), nil
	}
	lanes := make([]string, len(s.Series))
	for i, ser := range s.Series {
		lanes[i] = ser.Lane
	}
	logX := s.X[len(s.X)-1]/s.X[0] >= 8
	// One panel per latency column of the catalog's short tables, two by two.
	cols := metric.Short(metric.Latency())
	ps := make([][]*plot.Plot, (len(cols)+1)/2)
	for i := range ps {
		ps[i] = make([]*plot.Plot, 2)
	}
	for i, m := range cols {
		p := newPlot(m.Label, xlabel, m.Label+" latency ("+m.Unit+")")
		p.Y.Min = 0
		p.X.Tick.Marker = valueTicks(s.X)
		if logX {
			p.X.Scale = plot.LogScale{}
		}
		for _, ser := range s.Series {
			var xys plotter.XYs
			for j, g := range ser.Groups {
				if g != nil {
					xys = append(xys, plotter.XY{X: s.X[j], Y: g.Value(m)})
				}
			}
			if err := addSeries(p, lanes, ser.Lane, xys, false); err != nil {
				return nil, "", err
			}
		}
		ps[i/2][i%2] = p
	}
	sub := "median over valid repetitions · held fixed: " + s.Fixed
	if logX {
		sub += " · log x axis"
	}
	f, err := tiled(ps, laneKeys(lanes, true), 9*vg.Inch, 6.6*vg.Inch, "Latency percentiles vs "+what+", one line per lane", sub)
	if f != nil {
		f.Caption = fmt.Sprintf("Latency from when each request was sent (fortio), median of each percentile over the valid repetitions; %s. Lower is better.", s.Fixed)
	}
	return f, "", err
}

// latencyCDF draws each lane's merged histogram of the reference case as a
// CDF on a log latency axis, so both the body and the tail are visible.
func latencyCDF(d Data) (*Figure, string, error) {
	dg := d.Digest
	ref, ok := dg.ReferenceCase()
	if !ok {
		return nil, "no valid runs", nil
	}
	p := newPlot("", "latency (ms, log scale)", "fraction of requests ≤ latency")
	p.X.Scale = plot.LogScale{}
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Left = false
	p.Legend.Top = false
	p.Legend.XOffs = -vg.Points(6)
	p.Legend.YOffs = vg.Points(6)
	lo, hi := math.Inf(1), math.Inf(-1)
	drawn := 0
	var keys []key
	for _, lane := range dg.Lanes {
		g := dg.Group(lane, ref)
		if g == nil || len(g.Histogram) == 0 {
			continue
		}
		var total int64
		for _, b := range g.Histogram {
			total += b.Count
		}
		if total == 0 {
			continue
		}
		xys := plotter.XYs{}
		if first := g.Histogram[0].Start; first > 0 {
			xys = append(xys, plotter.XY{X: first, Y: 0})
		}
		var cum int64
		for _, b := range g.Histogram {
			cum += b.Count
			if b.End <= 0 {
				continue
			}
			xys = append(xys, plotter.XY{X: b.End, Y: float64(cum) / float64(total)})
		}
		if len(xys) < 2 {
			continue
		}
		lo, hi = math.Min(lo, xys[0].X), math.Max(hi, xys[len(xys)-1].X)
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, "", err
		}
		l.Color, l.Width, l.Dashes = laneColor(lane), vg.Points(1.8), laneDashes(dg.Lanes, lane)
		p.Add(l)
		keys = append(keys, key{label: fmt.Sprintf("%s (%d requests)", lane, total), color: laneColor(lane), dashes: laneDashes(dg.Lanes, lane), line: true})
		drawn++
	}
	if drawn == 0 {
		return nil, "no run of the reference case recorded histogram buckets", nil
	}
	p.X.Min, p.X.Max = lo, hi
	p.X.Tick.Marker = logTicks(lo, hi)
	for _, q := range []float64{0.5, 0.9, 0.99} {
		h, _ := plotter.NewLine(plotter.XYs{{X: lo, Y: q}, {X: hi, Y: q}})
		h.Color, h.Width, h.Dashes = rgb(0xbbbbbb), vg.Points(0.8), []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(h)
	}
	sub := "all valid repetitions merged · " + digest.CaseLabel(ref) + " · dashed guides at 0.5, 0.9, 0.99"
	f, err := single(p, keys, 9*vg.Inch, 4.8*vg.Inch, "Latency distribution per lane (CDF)", sub)
	if f != nil {
		f.Caption = "Cumulative distribution of request latency from the full fortio histograms, " + digest.CaseLabel(ref) +
			". A curve further left is faster; the gap between curves at the top is the tail."
	}
	return f, "", err
}
