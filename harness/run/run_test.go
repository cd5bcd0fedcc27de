package run

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

// fakePlatform stands in at the platform seam: lanes in down cannot run
// here (ErrLaneUnavailable); every other lane answers every request.
type fakePlatform struct {
	down map[string]bool
	ups  map[string]int // lane label -> Up calls
}

func (p *fakePlatform) Name() string                { return "fake" }
func (p *fakePlatform) Close(context.Context) error { return nil }
func (p *fakePlatform) Up(_ context.Context, s platform.Spec) (platform.Topology, error) {
	l := results.LaneLabel(s.Lane, s.Mode)
	p.ups[l]++
	if p.down[l] {
		return nil, fmt.Errorf("%s is not installed: %w", l, platform.ErrLaneUnavailable)
	}
	return fakeTopology{}, nil
}

type fakeTopology struct{}

func (fakeTopology) Load(_ context.Context, o load.Options) (*load.Report, error) {
	n := int64(o.QPS * o.Duration.Seconds())
	return &load.Report{Requests: n, DurationS: o.Duration.Seconds(), AchievedQPS: o.QPS,
		Latency: results.Percentiles{P50: 0.1, P75: 0.1, P90: 0.2, P99: 0.3, P999: 0.4, Max: 0.5}}, nil
}
func (fakeTopology) Probes() []measure.Probe         { return nil }
func (fakeTopology) Features() *results.MeshFeatures { return nil }
func (fakeTopology) Down(context.Context) error      { return nil }

// TestUnavailableCasesAreRecordedNotRun: a case the lane catalog rules out
// (nginx with h2) and a lane the platform cannot run (haproxy here) are
// written as unavailable results with the reason, without latency; the
// catalog's cases never reach the platform, and an unavailable lane is
// tried once.
func TestUnavailableCasesAreRecordedNotRun(t *testing.T) {
	s, err := scenario.Parse("t.yaml", []byte(`
name: t
lanes: [none, nginx, haproxy]
repetitions: 2
duration: 100ms
matrix: {qps: [100], protocol: [http1, h2]}
`))
	require.NoError(t, err)
	p := &fakePlatform{down: map[string]bool{"haproxy": true}, ups: map[string]int{}}
	out := t.TempDir()
	rs, err := Execute(context.Background(), Options{Scenario: s, Platform: p, OutDir: out})
	require.NoError(t, err, "unavailable is not failed")
	require.Len(t, rs, 3*2*2, "every planned run has a result")
	onDisk, err := results.ReadAll(out)
	require.NoError(t, err)
	assert.Len(t, onDisk, len(rs))

	assert.Equal(t, map[string]int{"none": 4, "nginx": 2, "haproxy": 1}, p.ups, "nginx/h2 never reaches the platform; haproxy is tried once")
	for _, r := range rs {
		switch {
		case r.Lane == "nginx" && r.Case.Protocol == "h2":
			assert.Contains(t, r.Unavailable, "cannot carry h2", r.Key())
		case r.Lane == "haproxy":
			assert.Contains(t, r.Unavailable, "haproxy is not installed", r.Key())
		default:
			assert.True(t, r.Valid, r.Key())
			assert.Empty(t, r.Unavailable)
			continue
		}
		assert.False(t, r.Valid, r.Key())
		assert.Zero(t, r.Requests)
		assert.Zero(t, r.Latency.P50, "no latency from a run not made")
		assert.Equal(t, []string{"unavailable: " + r.Unavailable}, r.InvalidReasons)
	}
}
