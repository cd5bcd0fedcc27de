package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/meshbench/meshbench/harness/envinfo"
	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/plan"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

// Options of one execution.
type Options struct {
	Scenario *scenario.Scenario
	Platform platform.Platform
	OutDir   string   // where result files go
	Lanes    []string // overrides the scenario's lanes when set
	Seed     int64    // overrides the scenario's seed when non-zero
	// ProxyArgs are appended to every meshproxy command line.
	ProxyArgs []string
	// Labels are copied into every result (e.g. build=candidate).
	Labels   map[string]string
	Env      results.Environment
	Log      *slog.Logger
	Progress io.Writer // live progress lines; nil for none
	// OrderOffset is added to each result's Order (the gate numbers rounds).
	OrderOffset int
	// VariantProxyArgs are appended to every meshproxy command line in the
	// runs of one telemetry variant (--variant-proxy-arg VARIANT=ARG: an
	// injected cost, to check the telemetry table's statistics).
	VariantProxyArgs map[string][]string
}

// Execute runs the plan and returns every result it wrote, in plan order.
// A run that fails (a component exits early, the lane cannot start) is
// recorded as an invalid result with its cause and the plan goes on; a run
// the lane cannot do (the lane catalog, or ErrLaneUnavailable from the
// platform) is recorded as unavailable, without being made. When runs
// failed, Execute returns every result together with a *FailedError. On
// cancellation it returns the results so far together with ctx's error.
func Execute(ctx context.Context, o Options) ([]*results.Result, error) {
	s := o.Scenario
	seed := s.Seed
	if o.Seed != 0 {
		seed = o.Seed
	}
	runs, err := plan.Build(s, o.Lanes, seed)
	if err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	prog := newProgress(o.Progress, s, runs)
	var out []*results.Result
	failed := &FailedError{made: map[string]int{}}
	laneUnavailable := map[string]string{} // lane label -> why the platform cannot run it
	for _, r := range runs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		reason := r.Unavailable
		if reason == "" {
			reason = laneUnavailable[r.LaneKey()]
		}
		var res *results.Result
		if reason != "" {
			res = unavailableResult(o, r, seed, reason)
		} else {
			prog.start(r)
			var phase string
			res, phase, err = one(ctx, o, r, seed, log)
			switch {
			case err == nil:
				failed.made[r.LaneKey()]++
			case ctx.Err() != nil:
				return out, ctx.Err()
			case errors.Is(err, platform.ErrLaneUnavailable):
				laneUnavailable[r.LaneKey()] = err.Error()
				res = unavailableResult(o, r, seed, err.Error())
			default:
				failed.made[r.LaneKey()]++
				res = failedResult(o, r, seed, phase, err)
				failed.Failed = append(failed.Failed, res)
			}
		}
		if _, err := results.Write(o.OutDir, res); err != nil {
			return out, err
		}
		out = append(out, res)
		prog.done(r, res)
	}
	prog.finish()
	if len(failed.Failed) > 0 {
		return out, failed
	}
	return out, nil
}

// one executes a single run; on error, phase says where it failed (up,
// warmup, measure).
func one(ctx context.Context, o Options, r plan.Run, seed int64, log *slog.Logger) (*results.Result, string, error) {
	s := o.Scenario
	mo, variant, err := meshOptions(o, r.Case)
	if err != nil {
		return nil, PhaseUp, err
	}
	spec := platform.Spec{
		Lane: r.Lane, Mode: r.Mode, Case: r.Case, Graph: s.Graph, LoadClients: s.Load.Clients, Mesh: mo,
	}
	spans, err := startSink(&spec.Mesh, variant)
	if err != nil {
		return nil, PhaseUp, err
	}
	if spans != nil {
		defer spans.sink.Close()
	}
	topo, err := o.Platform.Up(ctx, spec)
	if err != nil {
		return nil, PhaseUp, err
	}
	// Down with a fresh context: an interrupted run must still tear down.
	defer topo.Down(context.WithoutCancel(ctx))

	lo := load.Options{
		QPS: r.Case.QPS, Connections: r.Case.Connections, PayloadBytes: r.Case.PayloadBytes,
		Protocol: r.Case.Protocol, Uniform: true,
	}
	if s.Warmup.Duration > 0 {
		w := lo
		w.Duration = s.Warmup.Duration
		if _, err := topo.Load(ctx, w); err != nil {
			return nil, PhaseWarmup, fmt.Errorf("warm-up: %w", err)
		}
	}
	// The sidecars' histograms before and after the window: their
	// difference is the window's per-edge latency.
	var hopsBefore hopScrape
	hm := hopMetrics(topo)
	if hm != nil {
		if hopsBefore, err = scrapeHops(ctx, hm); err != nil {
			log.Warn("per-hop latency not recorded", "run", r.String(), "err", err)
		}
	}
	if spans != nil {
		// The warm-up's spans are still in the proxies' batches.
		spans.settle(ctx, 3*time.Second)
		spans.sink.Reset()
	}
	cpu0, _ := envinfo.ReadCPUTimes()
	win, err := measure.Start(ctx, topo.Probes(), 0)
	if err != nil {
		return nil, PhaseMeasure, err
	}
	started := time.Now()
	lo.Duration = s.Duration.Duration
	lo.Wire = s.Load.Wire // the measured window only
	rep, err := topo.Load(ctx, lo)
	if err != nil {
		return nil, PhaseMeasure, fmt.Errorf("measured window: %w", err)
	}
	comps, err := win.Finish(context.WithoutCancel(ctx), rep.Requests, rep.DurationS)
	if err != nil {
		return nil, PhaseMeasure, err
	}
	var hopsAfter hopScrape
	if hopsBefore != nil {
		if hopsAfter, err = scrapeHops(ctx, hm); err != nil {
			log.Warn("per-hop latency not recorded", "run", r.String(), "err", err)
		}
	}
	cpu1, _ := envinfo.ReadCPUTimes()
	env := o.Env
	env.StealPct = envinfo.StealPct(cpu0, cpu1)
	env.Pinning = s.Mesh.Pinning

	res := &results.Result{
		Schema: results.Schema, Scenario: s.Name, ScenarioKind: s.Kind, Platform: o.Platform.Name(),
		Lane: r.Lane, Mode: r.Mode, Case: r.Case, Repetition: r.Repetition, Order: r.Order + o.OrderOffset, Seed: seed,
		Started: started.UTC(), WarmupS: s.Warmup.Seconds(), DurationS: rep.DurationS, Labels: o.Labels,
		Requests: rep.Requests, Errors: rep.Errors, ErrorsByStatus: rep.ErrorsByStatus,
		TargetQPS: r.Case.QPS, AchievedQPS: rep.AchievedQPS,
		Latency: rep.Latency, LatencyScheduled: rep.Scheduled, Schedule: rep.Schedule, Histogram: rep.Histogram,
		LatencyWire: rep.Wire, LatencyWireSkipped: rep.WireSkipped,
		Components: comps, Mesh: topo.Features(), Environment: env, Valid: true,
	}
	if lc, ok := topo.(platform.LoadClienter); ok && lc.LoadClients() > 1 {
		res.LoadClients = lc.LoadClients()
		if lp, ok := topo.(platform.LoadClientPlacer); ok {
			res.LoadClientNodes = lp.LoadClientNodes()
		}
	}
	validate(res, rep)
	if spans != nil {
		spans.settle(ctx, 3*time.Second)
		res.Spans = spans.check(rep.Requests, int64(r.Case.Connections), spansPerTrace(r, s.Graph))
	}
	checkGraph(ctx, topo, s.Graph, res)
	if hopsAfter != nil {
		attachHops(res, hm, hopsBefore, hopsAfter)
	}
	log.Debug("run done", "run", r.String(), "p50_ms", res.Latency.P50, "p99_ms", res.Latency.P99, "qps", res.AchievedQPS)
	return res, "", nil
}

// validate marks runs that must not be used as evidence.
func validate(res *results.Result, rep *load.Report) {
	invalid := func(format string, args ...any) {
		res.Valid = false
		res.InvalidReasons = append(res.InvalidReasons, fmt.Sprintf(format, args...))
	}
	// Only the load client's own starvation voids a run (harness/load): a
	// slow system under test shows in latency_scheduled_ms instead.
	if rep.FellBehind {
		invalid("load generator fell behind: %s (%.1f of %.0f qps)", rep.StarvedReason, rep.AchievedQPS, res.TargetQPS)
	}
	if res.Requests == 0 {
		invalid("no requests completed")
	} else if float64(res.Errors) > 0.01*float64(res.Requests) {
		invalid("%d errors in %d requests", res.Errors, res.Requests)
	}
	if res.Environment.StealPct > 10 {
		invalid("CPU steal %.1f%% during the measured window", res.Environment.StealPct)
	}
}
