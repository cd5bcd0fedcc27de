package resilience

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/results"
)

// Analyze reads a run's timeline against its applied faults: the phases
// before, during and after the faults, and the time to recover. Buckets
// hold requests by when they started, so the bucket just before the first
// fault holds requests still in flight when it struck: it counts as
// during. A bucket is before when it ends one bucket width before the first
// fault's start, after when it starts at or after the last fault's end,
// during otherwise. A phase's p99 is the
// highest p99 of its buckets (the load client keeps exact percentiles per
// bucket, not per phase), its p50 the median of its buckets' p50s, and its
// typical p99 the median of its buckets' p99s.
func Analyze(spec Spec, buckets []results.TimeBucket, faults []results.FaultEvent) *results.Resilience {
	w := spec.Bucket.Seconds()
	r := &results.Resilience{Faults: faults, BucketMs: w * 1000, Buckets: buckets}
	if len(faults) == 0 {
		return r
	}
	t1, t2 := faults[0].BeganS, faults[0].EndedS
	for _, f := range faults {
		t1, t2 = math.Min(t1, f.BeganS), math.Max(t2, f.EndedS)
	}
	var before, during, after []results.TimeBucket
	for _, b := range buckets {
		switch {
		case b.StartS+2*w <= t1+1e-9:
			before = append(before, b)
		case b.StartS >= t2-1e-9:
			after = append(after, b)
		default:
			during = append(during, b)
		}
	}
	r.Before, r.During, r.After = phase(before), phase(during), phase(after)
	if f := spec.fail(); f != nil {
		for _, ev := range faults {
			if ev.Kind == KindFail {
				r.Ejection = ejection(f, ev, buckets, w)
			}
		}
	}
	if len(before) > 0 && t2 > t1 {
		bound := spec.RecoveryP99Factor*r.Before.P99Ms + float64(spec.RecoveryP99Floor.Duration)/1e6
		r.RecoveryS = recovery(buckets, w, t2, bound, true)
		r.ErrorRecoveryS = recovery(buckets, w, t2, math.Inf(1), false)
	}
	return r
}

// recovery is the time from t2 until the first bucket (among those that
// end after t2) from which every bucket has no errors and a p99 within
// bound, and, when needRequests, requests at all (an empty bucket is a
// stall); nil when there is none.
func recovery(buckets []results.TimeBucket, w, t2, bound float64, needRequests bool) *float64 {
	first := -1
	for i := len(buckets) - 1; i >= 0; i-- {
		b := buckets[i]
		if b.StartS+w <= t2+1e-9 {
			break
		}
		if (needRequests && b.Requests == 0) || b.Errors > 0 || b.P99Ms > bound {
			break
		}
		first = i
	}
	if first < 0 {
		return nil
	}
	v := math.Max(0, buckets[first].StartS-t2)
	return &v
}

func phase(bs []results.TimeBucket) results.PhaseStats {
	var p results.PhaseStats
	var p50s, p99s []float64
	for _, b := range bs {
		p.Requests += b.Requests
		p.Errors += b.Errors
		for c, n := range b.ErrorsByCause {
			if p.ByCause == nil {
				p.ByCause = map[string]int64{}
			}
			p.ByCause[c] += n
		}
		if b.Requests > 0 {
			p.P99Ms = math.Max(p.P99Ms, b.P99Ms)
			p50s = append(p50s, b.P50Ms)
			p99s = append(p99s, b.P99Ms)
		}
	}
	if p.Requests > 0 {
		p.ErrorRate = float64(p.Errors) / float64(p.Requests)
	}
	if len(p50s) > 0 {
		p.P50Ms = stats.Median(p50s)
		p.P99MedianMs = stats.Median(p99s)
	}
	return p
}

// Check judges r by the spec's criteria and fills r.Criteria and r.Passed.
// total are the run's requests and errorsByCause its errors, for the abort
// rate and the allowed causes.
func Check(spec Spec, r *results.Resilience, total int64, errorsByCause map[string]int64) {
	c := spec.Criteria
	add := func(name string, limit, measured float64, held bool, detail string) {
		r.Criteria = append(r.Criteria, results.Criterion{Name: name, Limit: limit, Measured: measured, Held: held, Detail: detail})
	}
	count := func(name string, limit *int64, got int64) {
		if limit != nil {
			add(name, float64(*limit), float64(got), got <= *limit, "")
		}
	}
	count("max_errors_before", c.MaxErrorsBefore, r.Before.Errors)
	count("max_errors_during", c.MaxErrorsDuring, r.During.Errors)
	count("max_errors_after", c.MaxErrorsAfter, r.After.Errors)
	if c.MaxErrorRateAfter != nil {
		// No request after the faults is no evidence of recovery: it does
		// not hold (a fault that outlasted the load would otherwise pass).
		if r.After.Requests == 0 {
			add("max_error_rate_after", *c.MaxErrorRateAfter, 0, false, "no request after the faults: nothing measured")
		} else {
			add("max_error_rate_after", *c.MaxErrorRateAfter, r.After.ErrorRate, r.After.ErrorRate <= *c.MaxErrorRateAfter,
				fmt.Sprintf("%d of %d requests after the faults failed", r.After.Errors, r.After.Requests))
		}
	}
	// A recovery that never came is measured as the time the run went on
	// after the faults (a lower bound; +Inf would make the result
	// unwritable: JSON has no infinity).
	rest := 0.0
	if n := len(r.Buckets); n > 0 && len(r.Faults) > 0 {
		end := r.Faults[0].EndedS
		for _, f := range r.Faults {
			end = math.Max(end, f.EndedS)
		}
		rest = math.Max(0, r.Buckets[n-1].StartS+r.BucketMs/1000-end)
	}
	if c.MaxRecovery != nil {
		limit := c.MaxRecovery.Seconds()
		if r.RecoveryS == nil {
			add("max_recovery", limit, rest, false, fmt.Sprintf("never recovered before the run ended: more than %.2f s", rest))
		} else {
			add("max_recovery", limit, *r.RecoveryS, *r.RecoveryS <= limit, "seconds from the last fault's end")
		}
	}
	if c.MaxErrorRecovery != nil {
		limit := c.MaxErrorRecovery.Seconds()
		if r.ErrorRecoveryS == nil {
			add("max_error_recovery", limit, rest, false, fmt.Sprintf("errors never stopped before the run ended: more than %.2f s", rest))
		} else {
			add("max_error_recovery", limit, *r.ErrorRecoveryS, *r.ErrorRecoveryS <= limit, "seconds from the last fault's end until no more errors")
		}
	}
	if c.MaxP99During != nil {
		limit := float64(c.MaxP99During.Duration) / 1e6
		add("max_p99_during", limit, r.During.P99Ms, r.During.P99Ms <= limit, "ms, highest p99 of a bucket during the faults")
	}
	if c.MaxP99RatioDuring != nil {
		ratio := math.MaxFloat64 // no before-fault p99 to compare with (JSON has no infinity)
		if r.Before.P99MedianMs > 0 {
			ratio = r.During.P99Ms / r.Before.P99MedianMs
		}
		add("max_p99_ratio_during", *c.MaxP99RatioDuring, ratio, ratio <= *c.MaxP99RatioDuring,
			fmt.Sprintf("p99 %.2f ms during (highest bucket) / %.2f ms before (median bucket)", r.During.P99Ms, r.Before.P99MedianMs))
	}
	if len(c.AllowedCauses) > 0 {
		var other int64
		var names []string
		for cause, n := range errorsByCause {
			if !slices.Contains(c.AllowedCauses, cause) {
				other += n
				names = append(names, cause)
			}
		}
		slices.Sort(names)
		add("allowed_causes", 0, float64(other), other == 0, "errors of other causes: "+strings.Join(names, ", "))
	}
	if a := spec.Abort(); a != nil && c.AbortRateZ != nil {
		r.Injected = injected(a, total, errorsByCause[strconv.Itoa(a.Status)], *c.AbortRateZ)
		in := r.Injected.MeasuredPct >= r.Injected.LowPct && r.Injected.MeasuredPct <= r.Injected.HighPct
		add("abort_rate_z", *c.AbortRateZ, r.Injected.MeasuredPct, in,
			fmt.Sprintf("measured %.3f%% of %d, configured %g%%, bounds [%.3f, %.3f]%%", r.Injected.MeasuredPct, total, a.Percent, r.Injected.LowPct, r.Injected.HighPct))
	}
	if c.MinCertificatesIssued != nil {
		got := r.CertificatesIssued
		add("min_certificates_issued", float64(*c.MinCertificatesIssued), float64(got), got >= *c.MinCertificatesIssued,
			"workload certificates meshcontrol's CA signed during the run (at least)")
	}
	checkEjection(c, r.Ejection, add)
	checkRetries(c, r.Retries, add)
	for _, name := range sortedKeys(c.MaxRSSMiB) {
		limit := c.MaxRSSMiB[name]
		got, ok := r.PeakRSSBytes[name]
		mib := float64(got) / (1 << 20)
		add("max_rss_mib."+name, limit, mib, ok && mib <= limit, "peak RSS during the run")
	}
	r.Passed = true
	for _, cr := range r.Criteria {
		r.Passed = r.Passed && cr.Held
	}
}

// injected compares aborted/total with the configured percent: the bounds
// are the binomial proportion's normal interval, p +- z*sqrt(p(1-p)/n).
func injected(a *Fault, total, aborted int64, z float64) *results.InjectedRate {
	p := a.Percent / 100
	out := &results.InjectedRate{ConfiguredPct: a.Percent}
	if total == 0 {
		return out
	}
	se := math.Sqrt(p * (1 - p) / float64(total))
	out.MeasuredPct = 100 * float64(aborted) / float64(total)
	out.LowPct, out.HighPct = 100*math.Max(0, p-z*se), 100*math.Min(1, p+z*se)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
