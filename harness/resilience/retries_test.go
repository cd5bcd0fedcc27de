package resilience

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

func pauseFault() []any {
	return []any{map[string]any{"kind": "pause", "target": "app", "at": "1s", "until": "3s"}}
}

// TestRetriesSpec: retries and a retry budget in the scenario become the
// route's retry policy and the cluster's circuit breaker in the mesh
// policy meshcontrol serves; bad values are refused naming the field.
func TestRetriesSpec(t *testing.T) {
	s, err := DecodeSpec(map[string]any{"route_timeout": "500ms",
		"retries":      map[string]any{"attempts": 2, "per_try_timeout": "100ms", "on": "5xx,reset"},
		"retry_budget": map[string]any{"percent": 10, "min_retry_concurrency": 1},
		"faults":       pauseFault(), "criteria": map[string]any{"max_retry_ratio": 1.12}}, 5*time.Second)
	require.NoError(t, err)
	p := s.Policy("echo")
	require.NotNil(t, p)
	require.Len(t, p.Routes, 1)
	r := p.Routes[0].Rules[0]
	assert.Equal(t, 500*time.Millisecond, time.Duration(r.Timeout))
	require.NotNil(t, r.Retries)
	assert.Equal(t, uint32(2), r.Retries.Attempts)
	assert.Equal(t, 100*time.Millisecond, time.Duration(r.Retries.PerTryTimeout))
	assert.Equal(t, "5xx,reset", r.Retries.On)
	require.Len(t, p.Destinations, 1)
	assert.Equal(t, "echo", p.Destinations[0].Service)
	assert.Equal(t, 10.0, p.Destinations[0].CircuitBreaker.RetryBudgetPercent)
	assert.Equal(t, uint32(1), p.Destinations[0].CircuitBreaker.MinRetryConcurrency)

	for _, tc := range []struct {
		name string
		yaml map[string]any
		want string
	}{
		{"no attempts", map[string]any{"retries": map[string]any{"attempts": 0}, "faults": pauseFault()}, "resilience.retries.attempts: 0 is outside 1..10"},
		{"unknown retry_on", map[string]any{"retries": map[string]any{"attempts": 1, "on": "5xx,teapot"}, "faults": pauseFault()}, `resilience.retries.on: unknown retry condition "teapot" (known: 5xx`},
		{"per try above the route", map[string]any{"route_timeout": "100ms", "retries": map[string]any{"attempts": 1, "per_try_timeout": "200ms"}, "faults": pauseFault()},
			"resilience.retries.per_try_timeout: 200ms is longer than route_timeout"},
		{"budget percent", map[string]any{"retries": map[string]any{"attempts": 1}, "retry_budget": map[string]any{"percent": 0}, "faults": pauseFault()},
			"resilience.retry_budget.percent: 0 is outside (0, 100]"},
		{"budget without retries", map[string]any{"retry_budget": map[string]any{"percent": 20}, "faults": pauseFault()}, "resilience.retry_budget: a retry budget needs retries"},
		{"ratio below one", map[string]any{"retries": map[string]any{"attempts": 1}, "faults": pauseFault(), "criteria": map[string]any{"max_retry_ratio": 0.5}},
			"resilience.criteria.max_retry_ratio: 0.5 must be >= 1"},
		{"ratio without a pause", map[string]any{"retries": map[string]any{"attempts": 1},
			"faults": []any{map[string]any{"kind": "kill", "target": "app", "at": "1s", "until": "2s"}}, "criteria": map[string]any{"max_retry_ratio": 1.2}},
			"needs retries and a pause fault"},
		{"unknown field", map[string]any{"retries": map[string]any{"attempts": 1, "budget": 3}, "faults": pauseFault()}, "field budget not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeSpec(tc.yaml, 5*time.Second)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tc.want), "%v", err)
		})
	}
}

// TestRetryRatioCriterion: the ratio is (requests + retries) / requests
// between the two reads; above the limit, or not measured at all, the
// criterion fails.
func TestRetryRatioCriterion(t *testing.T) {
	at := time.Now()
	load := retryLoad(retryCounters{at: at, requests: 100, retries: 7}, retryCounters{at: at.Add(1500 * time.Millisecond), requests: 250, retries: 22})
	assert.Equal(t, &results.RetryLoad{Proxy: "client-proxy", WindowS: 1.5, Requests: 150, Retries: 15, AttemptsPerRequest: 1.1}, load)
	limit := 1.12
	for _, tc := range []struct {
		name string
		load *results.RetryLoad
		held bool
	}{
		{"within", load, true},
		{"above", &results.RetryLoad{Requests: 100, Retries: 13, AttemptsPerRequest: 1.13}, false},
		{"not measured", nil, false},
		{"nothing completed", &results.RetryLoad{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []results.Criterion
			checkRetries(Criteria{MaxRetryRatio: &limit}, tc.load, func(name string, limit, measured float64, held bool, detail string) {
				got = append(got, results.Criterion{Name: name, Limit: limit, Measured: measured, Held: held, Detail: detail})
			})
			require.Len(t, got, 1)
			assert.Equal(t, "max_retry_ratio", got[0].Name)
			assert.Equal(t, tc.held, got[0].Held, got[0].Detail)
		})
	}
}
