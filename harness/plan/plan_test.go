package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

func scen(t *testing.T) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Parse("t.yaml", []byte(`
name: t
lanes: [none, mesh, httputil]
repetitions: 4
duration: 1s
matrix: {connections: [2, 4]}
`))
	require.NoError(t, err)
	return s
}

func TestBuildExpandsMatrixLanesRepetitions(t *testing.T) {
	runs, err := Build(scen(t), nil, 7)
	require.NoError(t, err)
	require.Len(t, runs, 2*3*4)
	seen := map[string]int{}
	for i, r := range runs {
		assert.Equal(t, i, r.Order)
		seen[r.String()]++
	}
	for k, n := range seen {
		assert.Equal(t, 1, n, k)
	}
	// Every (case, repetition) block holds each lane exactly once: lanes are
	// interleaved, never all-A-then-all-B.
	for b := 0; b < len(runs); b += 3 {
		lanes := map[string]bool{}
		for _, r := range runs[b : b+3] {
			lanes[r.LaneKey()] = true
			assert.Equal(t, runs[b].Case, r.Case)
			assert.Equal(t, runs[b].Repetition, r.Repetition)
		}
		assert.Len(t, lanes, 3)
	}
}

func TestBuildIsSeeded(t *testing.T) {
	a, _ := Build(scen(t), nil, 1)
	b, _ := Build(scen(t), nil, 1)
	c, _ := Build(scen(t), nil, 2)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
}

func TestBuildLaneOverride(t *testing.T) {
	runs, err := Build(scen(t), []string{"none", "mesh"}, 1)
	require.NoError(t, err)
	assert.Len(t, runs, 2*2*4)
	for _, r := range runs {
		assert.Contains(t, []string{"none", "mesh/both"}, r.LaneKey())
	}
	_, err = Build(scen(t), []string{"envoy"}, 1)
	assert.ErrorContains(t, err, `--lanes: unknown lane "envoy"`)
}

func TestCaseName(t *testing.T) {
	tests := []struct {
		qps   float64
		conns int
		mtls  bool
		want  string
	}{
		{1000, 16, false, "qps1000-c16-1024B-http1"},
		{-1, 2, true, "qpsmax-c2-1024B-http1-mtls"},
	}
	for _, tc := range tests {
		cs := Cases(scenario.Matrix{QPS: []float64{tc.qps}, Connections: []int{tc.conns}, PayloadBytes: []int{1024}, Protocol: []string{"http1"}, MTLS: []bool{tc.mtls}})
		require.Len(t, cs, 1)
		assert.Equal(t, tc.want, cs[0].Name)
	}
}

// TestBuildMarksUnavailableCases: a lane that cannot do its job in a case
// (from the lane catalog) keeps its place in the order, marked with the
// reason, and the other lanes' order does not change.
func TestBuildMarksUnavailableCases(t *testing.T) {
	s, err := scenario.Parse("t.yaml", []byte(`
name: t
lanes: [none, nginx, mesh/clientonly, httputil]
repetitions: 2
duration: 1s
matrix: {protocol: [http1, h2], mtls: [false, true]}
`))
	require.NoError(t, err)
	runs, err := Build(s, nil, 3)
	require.NoError(t, err)
	require.Len(t, runs, 4*4*2, "every planned run is kept")
	for _, r := range runs {
		var want string
		switch {
		case r.Lane == "nginx" && r.Case.Protocol == "h2":
			want = "cannot carry h2"
		case r.LaneKey() == "mesh/clientonly" && r.Case.MTLS:
			want = "mTLS needs both sidecars"
		}
		if want == "" {
			assert.Empty(t, r.Unavailable, r.String())
		} else {
			assert.Contains(t, r.Unavailable, want, r.String())
		}
	}
	// The same plan where every case is available: identical order.
	s.Matrix.Protocol = []string{"http1", "http1"}
	s.Matrix.MTLS = []bool{false, false}
	again, err := Build(s, nil, 3)
	require.NoError(t, err)
	for _, r := range again {
		require.Empty(t, r.Unavailable)
	}
	for i := range runs {
		assert.Equal(t, runs[i].LaneKey(), again[i].LaneKey(), "order independent of which cases are unavailable")
	}
}

func TestBuildGraphLanes(t *testing.T) {
	s, err := scenario.Parse("g.yaml", []byte(`
name: g
kind: app
lanes: [none, mesh]
duration: 1s
graph:
  services: [{name: a}]
`))
	require.NoError(t, err)
	runs, err := Build(s, []string{"none", "httputil"}, 1)
	require.NoError(t, err)
	for _, r := range runs {
		if r.Lane == "httputil" {
			assert.Equal(t, "lane httputil cannot run a service graph", r.Unavailable)
		} else {
			assert.Empty(t, r.Unavailable)
		}
	}
}

// TestBuildDoesNotModifyItsInput: "mesh" is canonicalised in a copy.
func TestBuildDoesNotModifyItsInput(t *testing.T) {
	lanes := []string{"mesh", "none"}
	_, err := Build(scen(t), lanes, 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"mesh", "none"}, lanes)
}

// TestTelemetryVariantsInterleave: each repetition holds every variant of
// the mesh lane once and the none lane once (the floor, no variant), in a
// shuffled order that differs between repetitions.
func TestTelemetryVariantsInterleave(t *testing.T) {
	s, err := scenario.Parse("t.yaml", []byte(`
name: t
lanes: [none, mesh]
repetitions: 6
duration: 1s
matrix: {telemetry: [off, metrics, tracing-100]}
`))
	require.NoError(t, err)
	runs, err := Build(s, nil, 3)
	require.NoError(t, err)
	require.Len(t, runs, 6*4)
	orders := map[string]bool{}
	for b := 0; b < len(runs); b += 4 {
		seen := map[string]int{}
		key := ""
		for _, r := range runs[b : b+4] {
			assert.Equal(t, b/4+1, r.Repetition)
			seen[r.LaneKey()+" "+r.Case.Telemetry]++
			key += r.LaneKey() + r.Case.Telemetry + ","
		}
		assert.Equal(t, map[string]int{"none ": 1, "mesh/both off": 1, "mesh/both metrics": 1, "mesh/both tracing-100": 1}, seen)
		orders[key] = true
	}
	assert.Greater(t, len(orders), 1, "the order is shuffled per repetition")
	assert.Equal(t, "qps1000-c16-1024B-http1-tel-metrics", CaseName(results.Case{QPS: 1000, Connections: 16, PayloadBytes: 1024, Protocol: "http1", Telemetry: "metrics"}))
}
