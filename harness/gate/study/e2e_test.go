package study

import (
	"context"
	"github.com/meshbench/meshbench/harness/gateexec"
	"github.com/meshbench/meshbench/internal/testbin"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/envinfo"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

// TestGateEndToEnd runs the real mesh (meshbench workloads, meshcontrol,
// two meshproxy sidecars on xDS) on this machine: identical builds "a" and "a2", and "spin20",
// whose proxies burn a calibrated 16us of CPU per request (~20% of the
// proxies' CPU per request here), all interleaved in 8 short rounds. The
// gate must FAIL spin20 on CPU per request and must not FAIL the A/A pair.
// About 2 minutes on 2 vCPUs.
func TestMain(m *testing.M) { testbin.Main(m) }

func TestGateEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end gate: builds the mesh and runs 24 short load runs (~2 min)")
	}
	root := moduleRoot(t)
	bin := testbin.Dir(t) // built before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	s, err := scenario.Load(filepath.Join(root, "scenarios", "synthetic", "gate.yaml"))
	require.NoError(t, err)
	s.Warmup.Duration, s.Duration.Duration = 500*time.Millisecond, 2*time.Second

	dir := t.TempDir()
	x := &gateexec.Local{Scenario: s, OutDir: dir, Env: envinfo.Collect(root)}
	defer x.Close(context.WithoutCancel(ctx))
	_, err = Record(ctx, RecordOptions{Exec: x, BinDir: bin, OutDir: dir, MaxRounds: 8, Seed: 7, Variants: []Variant{
		{Name: "a"}, {Name: "a2"}, {Name: "spin20", ProxyArgs: []string{"--inject-spin=16us"}}}})
	require.NoError(t, err)

	rs, err := results.ReadAll(filepath.Join(dir, "runs"))
	require.NoError(t, err)
	d, err := NewData(rs)
	require.NoError(t, err)
	d.BehindTolerance = verdict.DefaultBehind
	k := min(len(d.Eligible("a", "spin20")), len(d.Eligible("a", "a2")))
	if k < 5 {
		t.Skipf("only %d of 8 rounds usable (machine too loaded for the load generator to keep its rate within 10%%)", k)
	}
	// The gate scenario's own settings (the machine-speed adjustment
	// included), at the K this recording allows and without an extension.
	th, err := verdict.Decode(s.Gate)
	require.NoError(t, err)
	require.Equal(t, verdict.RefApp, th.Reference, "gate.yaml adjusts by the app")
	th.Rounds, th.Extension = k, -1

	reg, err := Analyze(d, Pair{Name: "spin20", Base: "a", Cand: "spin20"}, Options{Thresholds: th, Mode: Disjoint})
	require.NoError(t, err)
	require.Equal(t, 1, reg.Gates)
	assert.Equal(t, 1, reg.Fail, "a 20%% CPU regression must FAIL: %+v", reg)
	assert.Equal(t, 1, reg.MetricFail["cpu_us_per_request/proxies"], "and on CPU per request: effects %v", reg.Effect)

	aa, err := Analyze(d, Pair{Name: "aa", Base: "a", Cand: "a2"}, Options{Thresholds: th, Mode: Disjoint})
	require.NoError(t, err)
	require.Equal(t, 1, aa.Gates)
	assert.Equal(t, 0, aa.Fail, "identical builds must never FAIL: effects %v", aa.Effect)
}

func moduleRoot(t *testing.T) string {
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Skip(err)
	}
	return root
}
