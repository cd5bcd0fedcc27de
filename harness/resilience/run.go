package resilience

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// ProcessName maps a fault target to the component name a platform uses.
func ProcessName(target string) string {
	if target == "control-plane" {
		return "meshcontrol"
	}
	return target
}

// Policy is the mesh policy a spec needs configured before the run (the
// abort fault, the route timeout and retries on the lane's route to
// service; outlier detection and the retry budget on its cluster), or nil.
func (s *Spec) Policy(service string) *meshconfig.Policy {
	a := s.Abort()
	var dest meshconfig.Destination
	if o := s.OutlierDetection; o != nil {
		dest.OutlierDetection = &meshconfig.OutlierDetection{
			Consecutive5xx: o.Consecutive5xx, BaseEjectionTime: meshconfig.Duration(o.BaseEjectionTime.Duration),
			MaxEjectionPercent: o.MaxEjectionPercent,
		}
	}
	if b := s.RetryBudget; b != nil {
		dest.CircuitBreaker = &meshconfig.CircuitBreaker{RetryBudgetPercent: b.Percent, MinRetryConcurrency: b.MinRetryConcurrency}
	}
	var p meshconfig.Policy
	if dest.OutlierDetection != nil || dest.CircuitBreaker != nil {
		dest.Service = service
		p.Destinations = []meshconfig.Destination{dest}
	}
	if a != nil || s.RouteTimeout.Duration > 0 || s.Retries != nil {
		rule := meshconfig.Rule{Timeout: meshconfig.Duration(s.RouteTimeout.Duration)}
		if a != nil {
			rule.Fault = &meshconfig.Fault{Abort: &meshconfig.FaultAbort{Percent: a.Percent, Status: uint32(a.Status)}}
		}
		if r := s.Retries; r != nil {
			rule.Retries = &meshconfig.Retries{Attempts: r.Attempts, PerTryTimeout: meshconfig.Duration(r.PerTryTimeout.Duration), On: r.On}
		}
		p.Routes = []meshconfig.ServiceRoutes{{Service: service, Rules: []meshconfig.Rule{rule}}}
	}
	if p.Destinations == nil && p.Routes == nil {
		return nil
	}
	return &p
}

// Preflight checks that topo can apply every fault of spec (Supports) and
// resolves the listeners a flood or slow-loris fault attacks, before any
// load: a fault the platform cannot do fails the run, never passes it.
func Preflight(topo Faultable, spec Spec) error {
	for _, f := range spec.Faults {
		target := f.Target
		if f.Kind == KindAbort || f.Kind == KindRotate {
			target = "" // the mesh's own configuration, no component
		}
		if err := topo.Supports(f.Kind, target); err != nil {
			return fmt.Errorf("fault %s %s: %w", f.Kind, f.Target, err)
		}
		if f.Kind == KindFlood || f.Kind == KindSlowloris {
			// a platform may have to open the listener to the harness
			// first (kube: a NodePort), which takes a moment to route.
			if _, err := topo.Addr(ProcessName(f.Target)); err != nil {
				return fmt.Errorf("fault %s %s: %w", f.Kind, f.Target, err)
			}
		}
	}
	return nil
}

// Outcome is one resilience run's measurements.
type Outcome struct {
	Report     *load.Report
	Components []results.Component
	Resilience *results.Resilience
}

// Run drives load (lo, its Duration the run's length) on topo while the
// spec's faults are applied, then analyzes and checks the run. Components
// a fault kills are not measured (their process changes under the probe).
func Run(ctx context.Context, topo Faultable, spec Spec, lo load.Options) (*Outcome, error) {
	lo.BucketWidth = spec.Bucket.Duration
	if err := Preflight(topo, spec); err != nil {
		return nil, err
	}
	killed := map[string]bool{}
	for _, f := range spec.Faults {
		if f.Kind == KindKill || f.Kind == KindRestart {
			for _, c := range topo.Casualties(ProcessName(f.Target)) {
				killed[c] = true
			}
		}
	}
	var probes []measure.Probe
	for _, p := range topo.Probes() {
		if !killed[p.Name()] {
			probes = append(probes, p)
		}
	}
	win, err := measure.Start(ctx, probes, 0)
	if err != nil {
		return nil, err
	}
	var issued0 int64
	if spec.rotate() != nil {
		if issued0, err = certificatesIssued(ctx, topo); err != nil {
			return nil, err
		}
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	origin := time.Now()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		events []timedEvent
		ferrs  []error
	)
	for _, f := range spec.Faults {
		if f.Kind == KindAbort || f.Kind == KindRotate {
			continue // configured in the mesh for the whole run
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev, err := apply(ctx, fctx, topo, f, origin, spec.Retries != nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				ferrs = append(ferrs, fmt.Errorf("fault %s %s: %w", f.Kind, f.Target, err))
				cancel() // the run is not what the scenario says: stop the load
			}
			if ev != nil {
				events = append(events, *ev)
			}
		}()
	}
	rep, lerr := topo.Load(fctx, lo)
	cancel()
	wg.Wait()
	if err := errors.Join(ferrs...); err != nil {
		return nil, err
	}
	if lerr != nil {
		return nil, fmt.Errorf("load: %w", lerr)
	}
	comps, err := win.Finish(context.WithoutCancel(ctx), rep.Requests, rep.DurationS)
	if err != nil {
		return nil, err
	}
	// Fault times are read against the load's own start (the load client
	// starts its schedule a few milliseconds after it is asked to).
	base := rep.Started
	if base.IsZero() {
		base = origin
	}
	var timeline []results.FaultEvent
	if a := spec.Abort(); a != nil {
		timeline = append(timeline, results.FaultEvent{Kind: KindAbort, Target: "route", BeganS: 0, EndedS: rep.DurationS,
			Detail: fmt.Sprintf("mesh fault filter: abort %g%% with %d", a.Percent, a.Status)})
	}
	var issued int64
	if f := spec.rotate(); f != nil {
		n, err := certificatesIssued(ctx, topo)
		if err != nil {
			return nil, err
		}
		issued = n - issued0
		timeline = append(timeline, results.FaultEvent{Kind: KindRotate, Target: "certificates", BeganS: 0, EndedS: rep.DurationS,
			Detail: fmt.Sprintf("proxies ask for %s certificates and renew at half of it: %d issued during the run", f.CertTTL.Duration, issued)})
	}
	var retries *results.RetryLoad
	for _, e := range events {
		if r := e.retries; r != nil {
			retries = r
			e.detail += fmt.Sprintf("; meanwhile %s: %d requests, %d retries, %.3f upstream attempts per request (%.2f s)",
				r.Proxy, r.Requests, r.Retries, r.AttemptsPerRequest, r.WindowS)
		}
		timeline = append(timeline, results.FaultEvent{Kind: e.kind, Target: e.target,
			BeganS: e.began.Sub(base).Seconds(), EndedS: e.ended.Sub(base).Seconds(), Detail: e.detail})
	}
	res := Analyze(spec, rep.Buckets, timeline)
	res.CertificatesIssued = issued
	res.Retries = retries
	res.PeakRSSBytes = map[string]int64{}
	for _, c := range comps {
		res.PeakRSSBytes[c.Name] = c.RSSBytesPeak
	}
	Check(spec, res, rep.Requests, rep.ErrorsByStatus)
	return &Outcome{Report: rep, Components: comps, Resilience: res}, nil
}

type timedEvent struct {
	kind, target string
	began, ended time.Time
	detail       string
	retries      *results.RetryLoad // a pause fault's, when the scenario counts retries
}

// apply waits until the fault's start, applies it, waits until its end and
// undoes it. ctx ends with the load; a cancelled ctx before the start
// applies nothing, and a cancelled parent (an interrupt) restarts nothing.
func apply(parent, ctx context.Context, topo Faultable, f Fault, origin time.Time, countRetries bool) (*timedEvent, error) {
	if !sleepUntil(ctx, origin.Add(f.At.Duration)) {
		return nil, nil
	}
	name := ProcessName(f.Target)
	ev := &timedEvent{kind: f.Kind, target: f.Target, began: time.Now()}
	switch f.Kind {
	case KindKill:
		what, err := topo.Kill(ctx, name)
		if err != nil {
			return nil, err
		}
		if !sleepUntil(ctx, origin.Add(f.Until.Duration)) && parent.Err() != nil {
			return nil, nil // interrupted: the platform stops everything, no restart
		}
		restartAt := time.Now()
		now, err := topo.Restart(context.WithoutCancel(ctx), name)
		if err != nil {
			return nil, err
		}
		ev.ended = time.Now()
		ev.detail = fmt.Sprintf("killed %s; restarted at +%.3fs as %s, ready after %s",
			what, restartAt.Sub(ev.began).Seconds(), now, ev.ended.Sub(restartAt).Round(time.Millisecond))
	case KindPause:
		what, err := topo.Pause(ctx, name)
		if err != nil {
			return nil, err
		}
		if countRetries {
			if ev.retries, err = countRetriesUntil(ctx, topo, origin.Add(f.Until.Duration)); err != nil {
				_, _ = topo.Resume(context.WithoutCancel(ctx), name)
				return nil, err
			}
		}
		sleepUntil(ctx, origin.Add(f.Until.Duration))
		// Always resumed, even on an interrupt: a stopped process would
		// ignore the platform's SIGTERM.
		if _, err := topo.Resume(context.WithoutCancel(ctx), name); err != nil {
			return nil, err
		}
		ev.ended = time.Now()
		ev.detail = fmt.Sprintf("paused %s; resumed after %s", what, ev.ended.Sub(ev.began).Round(time.Millisecond))
	case KindFail:
		var c0 retryCounters
		if countRetries {
			var err error
			if c0, err = readRetryCounters(ctx, topo); err != nil {
				return nil, err
			}
		}
		what, err := topo.Fail(ctx, name)
		if err != nil {
			return nil, err
		}
		if countRetries {
			if ev.retries, err = countRetriesFrom(ctx, topo, c0, origin.Add(f.Until.Duration)); err != nil {
				_, _ = topo.Heal(context.WithoutCancel(ctx), name)
				return nil, err
			}
		}
		sleepUntil(ctx, origin.Add(f.Until.Duration))
		if _, err := topo.Heal(context.WithoutCancel(ctx), name); err != nil {
			return nil, err
		}
		ev.ended = time.Now()
		ev.detail = fmt.Sprintf("failing %s: answered %d to every request; healed after %s", what, f.Status, ev.ended.Sub(ev.began).Round(time.Millisecond))
	case KindRestart:
		what, err := topo.Replace(ctx, name)
		if err != nil {
			return nil, err
		}
		sleepUntil(ctx, origin.Add(f.Until.Duration))
		gone, err := topo.Replaced(context.WithoutCancel(ctx), name)
		if err != nil {
			return nil, err
		}
		ev.ended = time.Now()
		ev.detail = fmt.Sprintf("restarted gracefully: %s; %s after %s", what, gone, ev.ended.Sub(ev.began).Round(time.Millisecond))
	case KindFlood, KindSlowloris:
		addr, err := topo.Addr(name)
		if err != nil {
			return nil, err
		}
		owner, _ := topo.(Owner)
		a, err := startAttack(ctx, f.Kind, addr, f.Connections, owner)
		if err != nil {
			return nil, err
		}
		sleepUntil(ctx, origin.Add(f.Until.Duration))
		ev.detail = a.stop()
		ev.ended = time.Now()
	}
	return ev, nil
}

// sleepUntil waits until t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// certificatesIssued reads meshcontrol's count of signed workload
// certificates from its metrics.
func certificatesIssued(ctx context.Context, topo Faultable) (int64, error) {
	mfs, err := topo.Scrape(ctx, "meshcontrol")
	if err != nil {
		return 0, fmt.Errorf("certificate rotation: meshcontrol metrics: %w", err)
	}
	const metric = "meshcontrol_ca_certificates_issued_total"
	mf, ok := mfs[metric]
	if !ok || len(mf.GetMetric()) == 0 {
		return 0, nil // no certificate signed yet: the counter has no sample
	}
	return int64(mf.GetMetric()[0].GetCounter().GetValue()), nil
}
