package micro

import (
	"fmt"
	"sort"
	"time"

	"golang.org/x/perf/benchmath"

	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

// Compare judges the samples: every benchmark/unit measured by timing gets
// the gate's rule (one-sided exact U, Holm across all of them, HL delta);
// instructions per op, being nearly deterministic, get a separation rule
// instead (see exactVerdict). Each row notes benchstat's own two-sided p
// (benchmath.AssumeNothing) for reference.
func Compare(s *Samples, th verdict.Thresholds, look int, base, cand, scenario string, env results.Environment) (*results.Comparison, error) {
	th, err := th.Normalize()
	if err != nil {
		return nil, err
	}
	keys := make([]Key, 0, len(s.Base))
	for k := range s.Base {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Benchmark != b.Benchmark {
			return a.Benchmark < b.Benchmark
		}
		return a.Unit < b.Unit
	})
	var timed []verdict.Input
	var exact []Key
	for _, k := range keys {
		if k.Unit == UnitInstructions {
			exact = append(exact, k)
			continue
		}
		timed = append(timed, verdict.Input{Group: k.Package + " " + k.Benchmark, Metric: k.Unit, Unit: k.Unit,
			Base: s.Base[k], Candidate: s.Candidate[k], Threshold: th.Micro})
	}
	c := &results.Comparison{Schema: results.ComparisonSchema, Created: time.Now().UTC(), Base: base, Candidate: cand,
		Scenario: scenario, Alpha: th.Alpha, Extended: look > 1, Environment: env, Notes: s.Notes}
	if len(timed) == 0 {
		return nil, fmt.Errorf("micro: no benchmark results on the base side")
	}
	c.Metrics, c.Verdict = verdict.Decide(timed, th, look)
	for i := range c.Metrics {
		m := &c.Metrics[i]
		in := timed[i]
		if len(in.Base) > 0 && len(in.Candidate) > 0 {
			thr := &benchmath.Thresholds{CompareAlpha: th.Alpha}
			bc := benchmath.AssumeNothing.Compare(benchmath.NewSample(append([]float64(nil), in.Base...), thr),
				benchmath.NewSample(append([]float64(nil), in.Candidate...), thr))
			m.Note = joinNote(m.Note, fmt.Sprintf("benchstat two-sided p=%.3g", bc.P))
		}
		c.Rounds = max(c.Rounds, min(m.NBase, m.NCand))
	}
	for _, k := range exact {
		m := exactVerdict(k, s.Base[k], s.Candidate[k], th.Micro)
		c.Metrics = append(c.Metrics, m)
		if m.Verdict == results.Fail || (m.Verdict == results.Inconclusive && c.Verdict == results.Pass) {
			c.Verdict = m.Verdict
		}
	}
	return c, nil
}

// exactVerdict judges a count that should repeat exactly: FAIL when every
// candidate value exceeds every base value by at least the threshold, PASS
// when even the largest candidate value is under the smallest base value
// times (1 + threshold), INCONCLUSIVE otherwise. The rule is only as good as
// the count's repeatability, so a row is gated only when each side was
// counted at least twice and each side's counts agree within a third of the
// threshold; otherwise it is reported, not gated. (Benchmarks whose work runs
// on other goroutines - sub-benchmarks, in-process network round trips - are
// not counted whole by --toggle-collect and did not repeat: an A/A micro gate
// of the proxy saw 62 vs 116 instructions/op for one of them.) These rows
// stay outside the Holm family because they make no probabilistic claim.
func exactVerdict(k Key, base, cand []float64, threshold float64) results.MetricComparison {
	m := results.MetricComparison{Group: k.Package + " " + k.Benchmark, Metric: k.Unit, Unit: "instr",
		Gated: true, Threshold: threshold, NBase: len(base), NCand: len(cand), P: 1, PAdjusted: 1}
	if len(base) < 2 || len(cand) < 2 {
		m.Gated, m.Verdict = false, results.ReportOnly
		m.Note = "instructions not counted twice on both sides: reported, not gated"
		if len(base) == 0 || len(cand) == 0 {
			return m
		}
	}
	bmin, bmax, bmed := spread(base)
	cmin, cmax, cmed := spread(cand)
	m.BaseMedian, m.BaseCILo, m.BaseCIHi = bmed, bmin, bmax
	m.CandMedian, m.CandCILo, m.CandCIHi = cmed, cmin, cmax
	m.Delta, m.DeltaCILo, m.DeltaCIHi = cmed/bmed-1, cmin/bmax-1, cmax/bmin-1
	if !m.Gated {
		return m
	}
	if bs, cs := bmax/bmin-1, cmax/cmin-1; bs > threshold/3 || cs > threshold/3 {
		m.Gated, m.Verdict = false, results.ReportOnly
		m.Note = fmt.Sprintf("count not repeatable (spread %.1f%% base, %.1f%% candidate): reported, not gated", 100*bs, 100*cs)
		return m
	}
	m.P, m.PAdjusted = 0, 0 // not a test: see Note
	m.Note = "deterministic count: range rule, not in the Holm family"
	switch {
	case m.DeltaCILo >= threshold:
		m.Verdict = results.Fail
	case m.DeltaCIHi < threshold:
		m.Verdict = results.Pass
	default:
		m.Verdict = results.Inconclusive
	}
	return m
}

func spread(v []float64) (lo, hi, med float64) {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	return s[0], s[n-1], stats.Median(s)
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
