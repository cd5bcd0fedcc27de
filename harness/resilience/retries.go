package resilience

import (
	"context"
	"fmt"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/meshbench/meshbench/harness/results"
)

// RetryingProxy is the component whose retries a scenario's retry policy
// drives: routes are applied by the caller's proxy.
const RetryingProxy = "client-proxy"

// The retrying proxy's counters (mesh-under-test/proxy/telemetry).
const (
	metricRequests = "meshproxy_requests_total"
	metricRetries  = "meshproxy_upstream_retries_total"
)

// retryLead is how long before a pause ends its second counter read
// starts: the read (a port-forward on kind) must finish inside the pause.
const retryLead = 300 * time.Millisecond

// countRetriesUntil reads the retrying proxy's counters now (a pause has
// just begun) and again retryLead before until (its end): both reads inside
// the pause, so the window sees only the hang. A cancelled ctx before the
// second read measures nothing.
func countRetriesUntil(ctx context.Context, topo Faultable, until time.Time) (*results.RetryLoad, error) {
	c0, err := readRetryCounters(ctx, topo)
	if err != nil {
		return nil, err
	}
	return countRetriesFrom(ctx, topo, c0, until)
}

// countRetriesFrom reads the counters again retryLead before until and
// returns the difference from c0. A fail fault reads c0 just before it
// begins: the failing replica is ejected within tens of milliseconds,
// sooner than a read through a port-forward (kind) returns, and its
// retries come before that.
func countRetriesFrom(ctx context.Context, topo Faultable, c0 retryCounters, until time.Time) (*results.RetryLoad, error) {
	if !sleepUntil(ctx, until.Add(-retryLead)) {
		return nil, nil
	}
	c1, err := readRetryCounters(ctx, topo)
	if err != nil {
		return nil, err
	}
	return retryLoad(c0, c1), nil
}

// retryCounters are one read of the retrying proxy's counters.
type retryCounters struct {
	at                time.Time
	requests, retries float64
}

// readRetryCounters scrapes the retrying proxy: requests it completed
// (every series of its request counter) and retries it made (every cluster).
func readRetryCounters(ctx context.Context, topo Faultable) (retryCounters, error) {
	mfs, err := topo.Scrape(ctx, RetryingProxy)
	if err != nil {
		return retryCounters{}, fmt.Errorf("retries: %s metrics: %w", RetryingProxy, err)
	}
	if _, ok := mfs[metricRequests]; !ok {
		return retryCounters{}, fmt.Errorf("retries: %s has no %s (the proxy's request metrics are off: mesh.telemetry must be on)", RetryingProxy, metricRequests)
	}
	return retryCounters{at: time.Now(), requests: sum(mfs[metricRequests]), retries: sum(mfs[metricRetries])}, nil
}

// sum adds a counter family's samples (nil: none yet, 0).
func sum(mf *dto.MetricFamily) float64 {
	var n float64
	for _, m := range mf.GetMetric() {
		n += m.GetCounter().GetValue()
	}
	return n
}

// retryLoad is the difference of two reads.
func retryLoad(a, b retryCounters) *results.RetryLoad {
	out := &results.RetryLoad{Proxy: RetryingProxy, WindowS: b.at.Sub(a.at).Seconds(),
		Requests: int64(b.requests - a.requests), Retries: int64(b.retries - a.retries)}
	if out.Requests > 0 {
		out.AttemptsPerRequest = float64(out.Requests+out.Retries) / float64(out.Requests)
	}
	return out
}

// checkRetries adds the max_retry_ratio criterion: a scenario that asks
// for it and measured nothing (no request completed inside the pause)
// fails it.
func checkRetries(c Criteria, r *results.RetryLoad, add func(string, float64, float64, bool, string)) {
	if c.MaxRetryRatio == nil {
		return
	}
	if r == nil || r.Requests == 0 {
		add("max_retry_ratio", *c.MaxRetryRatio, 0, false, "not measured: no request completed at "+RetryingProxy+" while the upstream hung")
		return
	}
	add("max_retry_ratio", *c.MaxRetryRatio, r.AttemptsPerRequest, r.AttemptsPerRequest <= *c.MaxRetryRatio,
		fmt.Sprintf("upstream attempts per request at %s while the upstream hung: (%d requests + %d retries) / %d over %.2f s",
			r.Proxy, r.Requests, r.Retries, r.Requests, r.WindowS))
}
