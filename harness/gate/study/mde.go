package study

import (
	"fmt"

	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

// Scale returns a transform multiplying one gated metric of a run by f,
// leaving everything else as measured.
func Scale(name string, f float64) (func(*results.Result) *results.Result, error) {
	// An adjusted metric is its raw value times a per-run factor: scaling
	// the raw value scales it alike.
	m, ok := metric.Lookup(canonical(name))
	if !ok || m.Scale == nil {
		return nil, fmt.Errorf("study: cannot scale metric %q", name)
	}
	return func(r *results.Result) *results.Result {
		cp := *r
		cp.Components = append([]results.Component(nil), r.Components...)
		m.Scale(&cp, f)
		return &cp
	}, nil
}

// MDEPoint is the detection rate of one synthetic effect size.
type MDEPoint struct {
	Effect    float64 `json:"effect"`
	Detection float64 `json:"detection"` // share of gates in which the metric FAILed
}

// MDE scans effect sizes applied to one metric of the A/A pair's candidate
// (real run-to-run noise, a known shift) and returns the detection curve
// and the smallest effect detected in at least target of the gates (0 if
// none in the grid is).
func MDE(d *Data, aa Pair, metric string, grid []float64, target float64, o Options) ([]MDEPoint, float64, error) {
	var curve []MDEPoint
	mde := 0.0
	for _, e := range grid {
		tf, err := Scale(metric, 1+e)
		if err != nil {
			return nil, 0, err
		}
		oo := o
		oo.Transform = tf
		r, err := Analyze(d, aa, oo)
		if err != nil {
			return nil, 0, err
		}
		det := r.Rate(r.MetricFail[metric])
		curve = append(curve, MDEPoint{Effect: e, Detection: det})
		if mde == 0 && det >= target {
			mde = e
		}
	}
	return curve, mde, nil
}
