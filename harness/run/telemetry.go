package run

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/otlpsink"
	"github.com/meshbench/meshbench/harness/plan"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// meshOptions are the run's data-path options: the scenario's, with the
// case's telemetry variant (when it has one) in place of mesh.telemetry.
func meshOptions(o Options, c results.Case) (platform.MeshOptions, *results.TelemetryVariant, error) {
	s := o.Scenario
	m := platform.MeshOptions{Workers: s.Mesh.Workers, Telemetry: s.Mesh.TelemetryOn(), Pinning: s.Mesh.Pinning, ProxyArgs: o.ProxyArgs}
	if c.Telemetry == "" {
		return m, nil, nil
	}
	v, ok := results.LookupTelemetryVariant(c.Telemetry)
	if !ok {
		return m, nil, fmt.Errorf("case %s: unknown telemetry variant %q", c.Name, c.Telemetry)
	}
	m.Telemetry, m.AccessLogPercent = v.Metrics, v.AccessLogPercent
	m.ProxyArgs = append(append([]string(nil), m.ProxyArgs...), o.VariantProxyArgs[v.Name]...)
	return m, &v, nil
}

// spanSink is the harness's OTLP receiver for one traced run.
type spanSink struct {
	sink    *otlpsink.Sink
	percent float64
}

// startSink starts a receiver when the run's mesh traces and points the
// mesh at it; nil when it does not.
func startSink(m *platform.MeshOptions, v *results.TelemetryVariant) (*spanSink, error) {
	if v == nil || !v.Tracing {
		return nil, nil
	}
	sink, err := otlpsink.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m.Tracing = &platform.Tracing{Collector: sink.Addr(), SamplingPercent: v.TracingPercent}
	return &spanSink{sink: sink, percent: v.TracingPercent}, nil
}

// settle waits until no span has arrived for longer than the proxies'
// export interval (500 ms batches), at most max: spans of requests already
// answered are then in.
func (s *spanSink) settle(ctx context.Context, max time.Duration) {
	s.sink.Settle(ctx, 700*time.Millisecond, max)
}

// check is the window's span check: requests were answered in the window,
// after up to untimed more (fortio sends one untimed request per
// connection before its load: they reach the mesh, not the count);
// spansPerTrace spans make one request's trace (0: not fixed, e.g. a graph
// whose calls vary).
func (s *spanSink) check(requests, untimed int64, spansPerTrace int) *results.SpanCheck {
	r := s.sink.Check(spansPerTrace, false)
	c := &results.SpanCheck{SamplingPercent: s.percent, Spans: r.Spans, Traces: r.Traces, Complete: r.Complete,
		SpansPerTrace: spansPerTrace, BrokenLinks: r.BrokenLinks, BadRoots: r.BadRoots, Duplicates: r.Duplicates}
	c.ExpectedTraces, c.TracesLow, _ = BinomialBounds(requests, s.percent/100)
	_, _, c.TracesHigh = BinomialBounds(requests+untimed, s.percent/100)
	c.WithinBounds = float64(c.Traces) >= c.TracesLow && float64(c.Traces) <= c.TracesHigh
	if !c.WithinBounds {
		c.Problems = append(c.Problems, fmt.Sprintf("%d traces outside %.0f..%.0f (%g%% of %d requests, and up to %d untimed ones)", c.Traces, c.TracesLow, c.TracesHigh, s.percent, requests, untimed))
	}
	if c.BrokenLinks > 0 {
		c.Problems = append(c.Problems, fmt.Sprintf("%d broken parent/child links", c.BrokenLinks))
	}
	if c.BadRoots > 0 {
		c.Problems = append(c.Problems, fmt.Sprintf("%d traces without exactly one root", c.BadRoots))
	}
	if c.Duplicates > 0 {
		c.Problems = append(c.Problems, fmt.Sprintf("%d duplicate span ids", c.Duplicates))
	}
	if r.Overflow > 0 {
		c.Problems = append(c.Problems, fmt.Sprintf("%d spans received but not kept (the receiver's bound)", r.Overflow))
	}
	return c
}

// BinomialBounds is the expected count of n trials at probability p and
// its 99.9% bounds (normal approximation, n p +- 3.29 sd, widened by one
// trial each side for the requests in flight at the window's edges).
func BinomialBounds(n int64, p float64) (mean, lo, hi float64) {
	mean = float64(n) * p
	d := 3.29*math.Sqrt(mean*(1-p)) + 1
	return mean, math.Max(0, mean-d), mean + d
}

// spansPerTrace is how many spans one request's trace holds in lane r: one
// per proxy on its path (an outbound sidecar's CLIENT span, an inbound
// sidecar's or gateway's SERVER span). Through a service graph every call
// is a CLIENT span at the caller's sidecar and a SERVER span at the
// callee's, the load's request included (the entry proxy's CLIENT span is
// the root); 0 (any number) when the graph's calls are random (call
// probabilities, error rates, splits).
func spansPerTrace(r plan.Run, g *graph.Graph) int {
	if g != nil {
		e := g.Expect()
		if !e.Exact {
			return 0
		}
		calls := 1.0
		for _, n := range e.Calls {
			calls += n
		}
		return int(2 * calls)
	}
	switch r.Mode {
	case results.ModeClientOnly, results.ModeServerOnly:
		return 1
	case results.ModeIngress:
		return 2
	case results.ModeIngressBoth:
		return 3
	}
	return 2
}
