package compare

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	catalog "github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

// neutralPrefixes start the invalid reasons that say nothing about the
// build under test: the load client was starved (harness/run writes
// "load generator fell behind: ..."), or the hypervisor stole the CPU.
var neutralPrefixes = []string{behindPrefix, "CPU steal"}

// Failed reports whether a run is invalid because of the build under
// test (errors, a component that failed, no request completed), not
// because of the machine. Such a run is evidence against its side: it
// enters the error rate, never a neutral void.
func Failed(r *results.Result) bool {
	if r.Valid {
		return false
	}
	if len(r.InvalidReasons) == 0 {
		return true
	}
	for _, why := range r.InvalidReasons {
		if !slices.ContainsFunc(neutralPrefixes, func(p string) bool { return strings.HasPrefix(why, p) }) {
			return true
		}
	}
	return false
}

// failedOnly returns the runs that Failed.
func failedOnly(rs []*results.Result) []*results.Result {
	var out []*results.Result
	for _, r := range rs {
		if Failed(r) {
			out = append(out, r)
		}
	}
	return out
}

// errorRateInput is the error-rate row of a group: every usable or failed
// run of each side.
func errorRateInput(key string, base, cand []*results.Result, th verdict.Thresholds) verdict.Input {
	m := catalog.ErrorRate()
	rates := func(rs []*results.Result) []float64 {
		out := make([]float64, len(rs))
		for i, r := range rs {
			out[i], _ = m.Get(r)
		}
		return out
	}
	return verdict.Input{Group: key, Metric: m.Name, Unit: m.Unit, Base: rates(base), Candidate: rates(cand),
		Threshold: th.ErrorRate, Absolute: true}
}

// failureReasons summarizes a side's failed runs for Comparison.Reasons.
func failureReasons(side string, failed []*results.Result) []string {
	if len(failed) == 0 {
		return nil
	}
	var why []string
	for _, r := range failed {
		for _, w := range r.InvalidReasons {
			if !slices.Contains(why, w) && len(why) < 3 {
				why = append(why, w)
			}
		}
	}
	return []string{fmt.Sprintf("%s failed %d runs (counted in %s, against the %s): %s", side, len(failed), catalog.ErrorRate().Name, side, strings.Join(why, "; "))}
}

// referenceMoved makes the adjusted rows of every group whose reference
// moved INCONCLUSIVE and returns why. The adjustment divides by the
// reference's CPU per request, the same code on both sides (the gate builds
// the harness once, from the base). If it moved anyway, by at least bound
// with an interval that excludes 0, something the candidate did reached it
// and the adjusted rows carry that shift: a candidate that slowed the
// proxies and the reference alike would PASS. The reference's own run-to-run
// spread is the machine's drift, which would hide such a shift; so when the
// runs carry a second same-code component (the load client, for the app),
// the shift is judged on the ratio of the two, which the drift leaves alone.
func referenceMoved(ms []results.MetricComparison, th verdict.Thresholds, bg, cg map[string][]*results.Result) []string {
	role := th.Reference
	if role == "" {
		return nil
	}
	second := results.RoleLoadgen
	if role == results.RoleLoadgen {
		second = results.RoleApp
	}
	var reasons []string
	for _, key := range sortedKeys(bg) {
		if !slices.ContainsFunc(ms, func(m results.MetricComparison) bool {
			return m.Group == key && m.Gated && strings.HasPrefix(m.Metric, AdjustedPrefix)
		}) {
			continue
		}
		what, lo, est, hi, ok := shiftOf(ratioOf(role, second), bg[key], cg[key], th.Confidence)
		if ok {
			what = fmt.Sprintf("%s CPU per request relative to the %s's", role, second)
		} else if what, lo, est, hi, ok = shiftOf(ratioOf(role, ""), bg[key], cg[key], th.Confidence); ok {
			what = role + " CPU per request"
		}
		if !ok || lo <= 0 && hi >= 0 || est > -th.ReferenceBound && est < th.ReferenceBound {
			continue
		}
		reasons = append(reasons, fmt.Sprintf("%s: the machine-speed reference moved: %s %+.1f%% [%+.1f%%, %+.1f%%] between base and candidate (bound ±%.0f%%); its adjusted rows are INCONCLUSIVE",
			key, what, 100*est, 100*lo, 100*hi, 100*th.ReferenceBound))
		for i := range ms {
			if ms[i].Group == key && ms[i].Gated && strings.HasPrefix(ms[i].Metric, AdjustedPrefix) {
				ms[i].Verdict, ms[i].Note = results.Inconclusive, "the machine-speed reference moved"
			}
		}
	}
	return reasons
}

// ratioOf returns a run's CPU per request of role, divided by that of
// second unless second is "".
func ratioOf(role, second string) func(*results.Result) (float64, bool) {
	return func(r *results.Result) (float64, bool) {
		a := r.Component(role)
		if a == nil || a.CPUUsPerRequest <= 0 {
			return 0, false
		}
		if second == "" {
			return a.CPUUsPerRequest, true
		}
		b := r.Component(second)
		if b == nil || b.CPUUsPerRequest <= 0 {
			return 0, false
		}
		return a.CPUUsPerRequest / b.CPUUsPerRequest, true
	}
}

// shiftOf is the Hodges-Lehmann ratio of get over two sets of runs, minus
// 1, with its interval; ok is false without at least 3 values a side.
func shiftOf(get func(*results.Result) (float64, bool), base, cand []*results.Result, conf float64) (what string, lo, est, hi float64, ok bool) {
	d := catalog.Metric{Get: get}
	b, c := values(base, d), values(cand, d)
	if len(b) < 3 || len(c) < 3 {
		return "", 0, 0, 0, false
	}
	r, err := stats.HodgesLehmannRatio(b, c, conf)
	if err != nil {
		return "", 0, 0, 0, false
	}
	return "", r.Lo - 1, r.Ratio - 1, r.Hi - 1, true
}
