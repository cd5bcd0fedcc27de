package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/meshbench/meshbench/harness/envinfo"
	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/plan"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/resilience"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

// exitCriteriaFailed is run's exit code when every run was made but a
// resilience scenario's criterion did not hold in some run.
const exitCriteriaFailed = 5

// runResilience runs a resilience scenario: every lane x case x repetition
// of the plan, each a load phase with the scenario's fault timeline, one
// result per run carrying the timeline and the criteria.
func runResilience(ctx context.Context, e *env, f *runFlags, s *scenario.Scenario) error {
	spec, err := resilience.DecodeSpec(s.Resilience, s.Duration.Duration)
	if err != nil {
		return fmt.Errorf("%s: %w", s.File, err)
	}
	seed := s.Seed
	if f.seed != 0 {
		seed = f.seed
	}
	runs, err := plan.Build(s, f.lanes, seed)
	if err != nil {
		return fmt.Errorf("%s: %w", s.File, err)
	}
	labels, err := parseLabels(f.labels)
	if err != nil {
		return err
	}
	plat, err := openPlatform(ctx, e, f, nil)
	if err != nil {
		return err
	}
	defer plat.Close(context.WithoutCancel(ctx))

	var all []*results.Result
	var failedRuns, notHeld []string
	for _, r := range runs {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(e.streams.Err, "[%d/%d] %s %s rep %d ...\n", r.Order+1, len(runs), r.LaneKey(), r.Case.Name, r.Repetition)
		res := resilienceRun(ctx, plat, s, spec, r, f.proxyArgs)
		if ctx.Err() != nil {
			break // interrupted mid-run: that run is not a result
		}
		res.Seed, res.Labels, res.Platform = seed, labels, plat.Name()
		env := envinfo.Collect(".")
		res.Environment = env
		if _, err := results.Write(f.out, res); err != nil {
			return err
		}
		all = append(all, res)
		switch {
		case res.Failure != nil:
			failedRuns = append(failedRuns, fmt.Sprintf("%s rep %d: %s", r.LaneKey(), r.Repetition, res.Failure.Error))
		case res.Resilience != nil && !res.Resilience.Passed:
			notHeld = append(notHeld, fmt.Sprintf("%s rep %d: %s", r.LaneKey(), r.Repetition, failedCriteria(res.Resilience)))
		}
	}
	printResilience(e, s.Name, all)
	if !f.noReport && len(all) > 0 {
		if err := renderReport(ctx, e, all, nil, f.out, s.Name); err != nil {
			e.log.Warn("report not rendered", "err", err)
		}
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		fmt.Fprintf(e.streams.Err, "interrupted: %d results kept in %s; every process stopped\n", len(all), f.out)
		return &ExitError{Code: exitInterrupted, Err: ctx.Err()}
	}
	if len(failedRuns) > 0 {
		return &ExitError{Code: exitRunsFailed, Err: fmt.Errorf("%s: %d runs failed:\n  %s", s.Name, len(failedRuns), strings.Join(failedRuns, "\n  "))}
	}
	if len(notHeld) > 0 {
		return &ExitError{Code: exitCriteriaFailed, Err: fmt.Errorf("%s: criteria did not hold in %d runs:\n  %s", s.Name, len(notHeld), strings.Join(notHeld, "\n  "))}
	}
	return nil
}

// resilienceRun makes one run; a run that could not be made is a result
// with valid: false and its failure.
func resilienceRun(ctx context.Context, plat platform.Platform, s *scenario.Scenario, spec resilience.Spec, r plan.Run, proxyArgs []string) *results.Result {
	res := &results.Result{
		Schema: results.Schema, Scenario: s.Name, ScenarioKind: s.Kind, Lane: r.Lane, Mode: r.Mode, Case: r.Case,
		Repetition: r.Repetition, Order: r.Order, Started: time.Now().UTC(), WarmupS: s.Warmup.Seconds(), TargetQPS: r.Case.QPS,
	}
	fail := func(phase string, err error) *results.Result {
		res.Failure = &results.Failure{Phase: phase, Error: strings.Join(strings.Fields(err.Error()), " ")}
		var ce *platform.ComponentError
		if errors.As(err, &ce) {
			res.Failure.Component, res.Failure.ExitStatus, res.Failure.LogTail = ce.Component, ce.ExitStatus, ce.LogTail
		}
		res.InvalidReasons = []string{"failed: " + res.Failure.Error}
		return res
	}
	if r.Unavailable != "" {
		res.Unavailable = r.Unavailable
		res.InvalidReasons = []string{"unavailable: " + r.Unavailable}
		return res
	}
	topo, err := plat.Up(ctx, platform.Spec{Lane: r.Lane, Mode: r.Mode, Case: r.Case, Mesh: platform.MeshOptions{
		Workers: s.Mesh.Workers, Telemetry: s.Mesh.TelemetryOn(), Pinning: s.Mesh.Pinning, ProxyArgs: append(spec.ProxyArgs(), proxyArgs...),
		Policy: spec.Policy(platform.LaneService), AppReplicas: spec.AppReplicas, AppFailStatus: spec.FailStatus(),
		SidecarRestart: spec.Kills("server-proxy"), AppGracefulStop: spec.Restarts(),
	}})
	if err != nil {
		return fail("up", err)
	}
	defer topo.Down(context.WithoutCancel(ctx))
	ft, ok := topo.(resilience.Faultable)
	if !ok {
		return fail("up", fmt.Errorf("platform %s cannot inject faults", plat.Name()))
	}
	if err := resilience.Preflight(ft, spec); err != nil {
		return fail("up", err) // before the warm-up: nothing is loaded for a run that cannot be made
	}
	lo := load.Options{QPS: r.Case.QPS, Connections: r.Case.Connections, PayloadBytes: r.Case.PayloadBytes,
		Protocol: r.Case.Protocol, Uniform: true, Timeout: 2 * time.Second}
	if s.Warmup.Duration > 0 {
		w := lo
		w.Duration = s.Warmup.Duration
		if _, err := topo.Load(ctx, w); err != nil {
			return fail("warmup", err)
		}
	}
	lo.Duration = s.Duration.Duration
	out, err := resilience.Run(ctx, ft, spec, lo)
	if err != nil {
		return fail("measure", err)
	}
	rep := out.Report
	res.Started = rep.Started.UTC()
	res.DurationS, res.Requests, res.Errors, res.ErrorsByStatus = rep.DurationS, rep.Requests, rep.Errors, rep.ErrorsByStatus
	res.AchievedQPS, res.Latency, res.LatencyScheduled, res.Schedule, res.Histogram = rep.AchievedQPS, rep.Latency, rep.Scheduled, rep.Schedule, rep.Histogram
	res.Components, res.Mesh, res.Resilience = out.Components, topo.Features(), out.Resilience
	// Errors are what a resilience run measures: they never void it; only
	// a starved load client does (its timeline would be the client's).
	res.Valid = !rep.FellBehind
	if rep.FellBehind {
		res.InvalidReasons = append(res.InvalidReasons, "load generator fell behind: "+rep.StarvedReason)
	}
	return res
}

func failedCriteria(r *results.Resilience) string {
	var out []string
	for _, c := range r.Criteria {
		if !c.Held {
			out = append(out, fmt.Sprintf("%s %g > %g", c.Name, c.Measured, c.Limit))
		}
	}
	return strings.Join(out, ", ")
}

// printResilience prints one line per run and one per criterion.
func printResilience(e *env, name string, rs []*results.Result) {
	fmt.Fprintf(e.streams.Out, "\n%s: %d runs\n", name, len(rs))
	tw := tabwriter.NewWriter(e.streams.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "lane\trep\trequests\terrors before/during/after\tp99 ms before/during/after\trecovery s (errors)\tverdict\t")
	for _, r := range rs {
		z := r.Resilience
		if z == nil {
			reason := strings.Join(r.InvalidReasons, "; ")
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t-\tNOT MADE: %s\t\n", r.LaneLabel(), r.Repetition, reason)
			continue
		}
		rec := "never"
		if z.Before.Requests == 0 {
			rec = "-" // a fault for the whole run: nothing to recover to
		} else if z.RecoveryS != nil {
			rec = fmt.Sprintf("%.2f", *z.RecoveryS)
		}
		if z.Before.Requests > 0 {
			er := "never"
			if z.ErrorRecoveryS != nil {
				er = fmt.Sprintf("%.2f", *z.ErrorRecoveryS)
			}
			rec += " (" + er + ")"
		}
		verdict := "PASS"
		if !z.Passed {
			verdict = "FAIL: " + failedCriteria(z)
		}
		if !r.Valid {
			verdict += " [invalid: " + strings.Join(r.InvalidReasons, "; ") + "]"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d/%d/%d\t%.2f/%.2f/%.2f\t%s\t%s\t\n", r.LaneLabel(), r.Repetition, r.Requests,
			z.Before.Errors, z.During.Errors, z.After.Errors, z.Before.P99Ms, z.During.P99Ms, z.After.P99Ms, rec, verdict)
	}
	tw.Flush()
	for _, r := range rs {
		if r.Resilience == nil {
			continue
		}
		for _, f := range r.Resilience.Faults {
			fmt.Fprintf(e.streams.Out, "  %s rep %d: %s %s %.2fs-%.2fs %s\n", r.LaneLabel(), r.Repetition, f.Kind, f.Target, f.BeganS, f.EndedS, f.Detail)
		}
		for _, c := range r.Resilience.Criteria {
			mark := "held"
			if !c.Held {
				mark = "NOT HELD"
			}
			fmt.Fprintf(e.streams.Out, "  %s rep %d: %-22s limit %-8g measured %-10.4g %s %s\n", r.LaneLabel(), r.Repetition, c.Name, c.Limit, c.Measured, mark, c.Detail)
		}
	}
}
