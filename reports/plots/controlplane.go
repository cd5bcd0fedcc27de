package plots

import (
	"fmt"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/results"
)

// controlPlane draws, against the number of connected proxies, config
// convergence p50 and p99 and the control plane's memory, one line per
// control plane and registry size (services × endpoints): meshcontrol and
// istiod of one run are never merged into one median.
func controlPlane(d Data) (*Figure, string, error) {
	if len(d.Digest.ControlPlane) == 0 {
		return nil, "no control-plane scenario results", nil
	}
	type key struct {
		name                string
		services, endpoints int
	}
	series := map[key]map[int][]*results.Result{}
	var keys []key
	var proxies []float64
	for _, r := range d.Digest.ControlPlane {
		if !r.Valid || r.ControlPlane.Unavailable != "" {
			continue
		}
		cp := r.ControlPlane
		k := key{cp.Name, cp.Services, cp.EndpointsPerSvc}
		if series[k] == nil {
			series[k] = map[int][]*results.Result{}
			keys = append(keys, k)
		}
		series[k][cp.Proxies] = append(series[k][cp.Proxies], r)
		if !slices.Contains(proxies, float64(cp.Proxies)) {
			proxies = append(proxies, float64(cp.Proxies))
		}
	}
	if len(keys) == 0 {
		return nil, "no valid control-plane scenario results", nil
	}
	if len(proxies) < 2 {
		return nil, "control-plane runs cover only one fleet size; the table has their numbers", nil
	}
	slices.Sort(proxies)
	slices.SortFunc(keys, func(a, b key) int {
		if a.name != b.name {
			return strings.Compare(a.name, b.name)
		}
		return a.services*a.endpoints - b.services*b.endpoints
	})
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = fmt.Sprintf("%d services × %d endpoints", k.services, k.endpoints)
		if k.name != "" {
			names[i] = k.name + ": " + names[i]
		}
	}
	panels := []struct {
		title, ylabel string
		get           func(*results.Result) (float64, bool)
	}{
		{"convergence p50", "ms", func(r *results.Result) (float64, bool) { return r.ControlPlane.ConvergenceMs.P50, true }},
		{"convergence p99", "ms", func(r *results.Result) (float64, bool) { return r.ControlPlane.ConvergenceMs.P99, true }},
		{"control-plane memory (steady RSS)", "MiB", func(r *results.Result) (float64, bool) {
			if c := r.Component(results.RoleControlPlane); c != nil && c.RSSBytesSteady > 0 {
				return float64(c.RSSBytesSteady) / (1 << 20), true
			}
			return 0, false
		}},
	}
	row := make([]*plot.Plot, len(panels))
	logX := proxies[len(proxies)-1]/proxies[0] >= 8
	for i, pn := range panels {
		p := newPlot(pn.title, "proxies connected", pn.ylabel)
		p.Y.Min = 0
		p.X.Tick.Marker = valueTicks(proxies)
		if logX {
			p.X.Scale = plot.LogScale{}
		}
		for j, k := range keys {
			var xys plotter.XYs
			for _, x := range proxies {
				var vs []float64
				for _, r := range series[k][int(x)] {
					if v, ok := pn.get(r); ok {
						vs = append(vs, v)
					}
				}
				if len(vs) > 0 {
					xys = append(xys, plotter.XY{X: x, Y: stats.Median(vs)})
				}
			}
			if err := addSeries(p, names, names[j], xys, false); err != nil {
				return nil, "", err
			}
		}
		row[i] = p
	}
	f, err := tiled([][]*plot.Plot{row}, laneKeys(names, true), 11*vg.Inch, 3.8*vg.Inch,
		"Control plane: convergence and memory vs fleet size",
		"convergence: a registry or policy change until every affected proxy ACKed it · median over valid runs · one line per registry size")
	if f != nil {
		f.Caption = "Config convergence percentiles (change written until every affected proxy has ACKed the new config) and the control plane's steady memory, against the number of connected proxies, one line per registry size."
	}
	return f, "", err
}
