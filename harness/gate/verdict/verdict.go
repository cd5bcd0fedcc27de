package verdict

import (
	"fmt"
	"math"

	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/results"
)

// Input is one metric's run-level samples and how to judge it. Larger
// values are worse for every metric the gate knows (time, CPU, memory).
type Input struct {
	Group, Metric, Unit string
	Base, Candidate     []float64
	// Threshold is the relative slowdown that counts as a regression;
	// <= 0 makes the metric report-only.
	Threshold float64
	// AbsFloor, if > 0, raises the threshold to AbsFloor / base median (the
	// RSS rule: a 2 MiB change is noise whatever the percentage).
	AbsFloor float64
	// Absolute judges the Hodges-Lehmann shift candidate - base in the
	// metric's own unit against an absolute Threshold, for metrics whose
	// base is usually 0 (the error rate: 0 -> 2% has no ratio).
	Absolute bool
}

// Outcome is the decided row, in the result model's shape.
type Outcome = results.MetricComparison

// Decide judges every input at the given look (1, or 2 after the
// extension), Holm-correcting the one-sided p-values of the gated metrics
// together, and returns the rows and the overall verdict.
func Decide(in []Input, t Thresholds, look int) ([]Outcome, string) {
	alpha := t.LookAlpha(look)
	out := make([]Outcome, len(in))
	var gatedIdx []int
	var gatedP []float64
	for i, m := range in {
		out[i] = describe(m, t.Confidence)
		if out[i].Gated && out[i].Note == "" {
			gatedIdx = append(gatedIdx, i)
			gatedP = append(gatedP, out[i].P)
		}
	}
	adj := stats.Holm(gatedP)
	for k, i := range gatedIdx {
		out[i].PAdjusted = adj[k]
	}
	overall := results.Pass
	for i := range out {
		o := &out[i]
		switch {
		case !o.Gated:
			o.Verdict = results.ReportOnly
		case o.Note != "":
			o.Verdict = results.Inconclusive
		case o.PAdjusted < alpha && o.Delta >= o.Threshold:
			o.Verdict = results.Fail
		case o.DeltaCIHi < o.Threshold:
			o.Verdict = results.Pass
		default:
			o.Verdict = results.Inconclusive
			if minP := stats.MinP(o.NBase, o.NCand); minP*float64(len(gatedIdx)) >= alpha {
				o.Note = fmt.Sprintf("n=%d+%d cannot reach p < %.3g over %d gated metrics", o.NBase, o.NCand, alpha/float64(len(gatedIdx)), len(gatedIdx))
			}
		}
		overall = worse(overall, o.Verdict)
	}
	return out, overall
}

// Overall is the verdict of a set of rows: FAIL if any gated row FAILs,
// else INCONCLUSIVE if any is, else PASS.
func Overall(rows []Outcome) string {
	overall := results.Pass
	for _, o := range rows {
		overall = worse(overall, o.Verdict)
	}
	return overall
}

// worse orders verdicts FAIL > INCONCLUSIVE > PASS; REPORT never counts.
func worse(a, b string) string {
	rank := map[string]int{results.Pass: 0, results.ReportOnly: 0, results.Inconclusive: 1, results.Fail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// describe computes everything but the Holm adjustment and the verdict.
func describe(m Input, conf float64) Outcome {
	o := Outcome{Group: m.Group, Metric: m.Metric, Unit: m.Unit, Gated: m.Threshold > 0,
		NBase: len(m.Base), NCand: len(m.Candidate), P: 1, PAdjusted: 1}
	if o.NBase == 0 || o.NCand == 0 {
		o.Note = "no runs on one side"
		return o
	}
	bs, cs := stats.MedianCI(m.Base, conf), stats.MedianCI(m.Candidate, conf)
	o.BaseMedian, o.BaseCILo, o.BaseCIHi = bs.Median, finite(bs.Lo), finite(bs.Hi)
	o.CandMedian, o.CandCILo, o.CandCIHi = cs.Median, finite(cs.Lo), finite(cs.Hi)

	o.Threshold = m.Threshold
	if m.AbsFloor > 0 && bs.Median > 0 {
		o.Threshold = math.Max(o.Threshold, m.AbsFloor/bs.Median)
	}
	u, err := stats.MannWhitneyGreater(m.Base, m.Candidate)
	if err != nil {
		o.Note = err.Error()
		return o
	}
	o.P = u.P
	o.PAdjusted = u.P
	if m.Absolute {
		o.Absolute = true
		if s, err := stats.HodgesLehmann(m.Base, m.Candidate, conf); err == nil {
			o.Delta, o.DeltaCILo, o.DeltaCIHi = s.Estimate, s.Lo, s.Hi
		} else {
			o.Note = err.Error()
		}
		return o
	}
	if r, err := stats.HodgesLehmannRatio(m.Base, m.Candidate, conf); err == nil {
		o.Delta, o.DeltaCILo, o.DeltaCIHi = r.Ratio-1, r.Lo-1, r.Hi-1
	} else if s, err2 := stats.HodgesLehmann(m.Base, m.Candidate, conf); err2 == nil && s.Lo == 0 && s.Hi == 0 {
		// Zeros on both sides (0 allocs/op): no change at all.
		o.Delta, o.DeltaCILo, o.DeltaCIHi = 0, 0, 0
	} else if err2 == nil && bs.Median != 0 {
		// Zero or negative values (an idle component's CPU): express the
		// additive shift relative to the base median instead.
		d := math.Abs(bs.Median)
		o.Delta, o.DeltaCILo, o.DeltaCIHi = s.Estimate/d, s.Lo/d, s.Hi/d
	} else {
		o.Note = "no relative effect: base median is zero"
	}
	return o
}

// finite maps the ±Inf of a too-small sample's median interval to NaN-free
// JSON: encoding/json rejects infinities, so an unbounded side becomes 0 and
// the table prints it as "∞" from n alone.
func finite(v float64) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0
	}
	return v
}
