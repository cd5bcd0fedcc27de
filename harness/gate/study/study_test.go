package study

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/gate/runner"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

// synthExec makes runs whose proxy CPU depends on the variant: "slow"
// costs 20% more, "a" and "a2" are identical builds; 2% noise.
type synthExec struct {
	rng   *rand.Rand
	order []string
}

func (s *synthExec) Run(_ context.Context, side runner.Side, round, seq int) ([]*results.Result, error) {
	s.order = append(s.order, side.Name)
	scale := map[string]float64{"a": 1, "a2": 1, "slow": 1.2}[side.Name]
	n := func() float64 { return 1 + 0.02*s.rng.NormFloat64() }
	r := &results.Result{Schema: results.Schema, Lane: "mesh", Mode: "both", Case: results.Case{Name: "c"}, Order: seq,
		Requests: 1000, Valid: true, Labels: map[string]string{"build": side.Name, "round": strconv.Itoa(round)},
		Latency: results.Percentiles{P50: n(), P90: 2 * n(), P99: 4 * n(), P999: 8 * n()},
		Components: []results.Component{
			{Role: results.RoleClientProxy, CPUUsPerRequest: 50 * scale * n(), RSSBytesSteady: int64(20e6 * (1 + 0.001*s.rng.NormFloat64()))},
			{Role: results.RoleServerProxy, CPUUsPerRequest: 50 * scale * n(), RSSBytesSteady: int64(20e6 * (1 + 0.001*s.rng.NormFloat64()))},
		}}
	return []*results.Result{r}, nil
}

func record(t *testing.T, rounds int) (*Data, *synthExec, *Manifest) {
	x := &synthExec{rng: rand.New(rand.NewPCG(3, 3))}
	var all []*results.Result
	rec := &recorder{x: x, out: &all}
	m, err := Record(context.Background(), RecordOptions{Exec: rec, OutDir: t.TempDir(), MaxRounds: rounds, Seed: 5,
		Variants: []Variant{{Name: "a"}, {Name: "a2"}, {Name: "slow", ProxyArgs: []string{"--inject-spin=10us"}}}})
	require.NoError(t, err)
	d, err := NewData(all)
	require.NoError(t, err)
	return d, x, m
}

type recorder struct {
	x   *synthExec
	out *[]*results.Result
}

func (r *recorder) Run(ctx context.Context, s runner.Side, round, seq int) ([]*results.Result, error) {
	rs, err := r.x.Run(ctx, s, round, seq)
	*r.out = append(*r.out, rs...)
	return rs, err
}

func TestRecordInterleavesEveryVariantEachRound(t *testing.T) {
	_, x, m := record(t, 20)
	assert.Equal(t, 20, m.Rounds)
	assert.Equal(t, 60, m.Runs)
	assert.True(t, m.Completed)
	firsts := map[string]int{}
	for i := 0; i < len(x.order); i += 3 {
		assert.ElementsMatch(t, []string{"a", "a2", "slow"}, x.order[i:i+3])
		firsts[x.order[i]]++
	}
	assert.Len(t, firsts, 3, "every variant leads some round: %v", firsts)
}

func TestRecordStopsAtDeadline(t *testing.T) {
	now := time.Unix(0, 0)
	clock := func() time.Time { now = now.Add(10 * time.Second); return now }
	x := &synthExec{rng: rand.New(rand.NewPCG(1, 1))}
	dir := t.TempDir()
	m, err := Record(context.Background(), RecordOptions{Exec: x, OutDir: dir, MaxRounds: 100, Now: clock,
		Deadline: time.Unix(0, 0).Add(2 * time.Minute), Variants: []Variant{{Name: "a"}, {Name: "a2"}}})
	require.NoError(t, err)
	assert.Less(t, m.Rounds, 100)
	assert.Greater(t, m.Rounds, 1)
	// Each round takes two clock reads of 10 s; the deadline of 2 min
	// stops it before a round that would end after it.
	assert.FileExists(t, filepath.Join(dir, "study.json"))
}

// failingExec fails the runs whose (round, variant) it lists.
type failingExec struct {
	synthExec
	fail map[string]bool
}

func (f *failingExec) Run(ctx context.Context, side runner.Side, round, seq int) ([]*results.Result, error) {
	if f.fail[fmt.Sprint(round, side.Name)] {
		return nil, errors.New("client-proxy not ready")
	}
	return f.synthExec.Run(ctx, side, round, seq)
}

func TestRecordSurvivesAFailedRun(t *testing.T) {
	tests := []struct {
		name    string
		fail    []string
		rounds  int
		failed  int
		wantErr bool
	}{
		{"one failed run: the round is incomplete, the recording goes on", []string{"3a2"}, 6, 1, false},
		{"failures apart: each one tolerated", []string{"2a", "5a2"}, 6, 2, false},
		{"three in a row: a broken set-up ends it", []string{"2a", "2a2", "3a", "3a2"}, 2, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &failingExec{synthExec: synthExec{rng: rand.New(rand.NewPCG(1, 1))}, fail: map[string]bool{}}
			for _, f := range tt.fail {
				x.fail[f] = true
			}
			m, err := Record(context.Background(), RecordOptions{Exec: x, OutDir: t.TempDir(), MaxRounds: 6, Seed: 2,
				Variants: []Variant{{Name: "a"}, {Name: "a2"}}})
			if tt.wantErr {
				require.ErrorContains(t, err, "client-proxy not ready")
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.rounds, m.Rounds)
			assert.Len(t, m.Failed, tt.failed)
		})
	}
}

func TestAnalyze(t *testing.T) {
	d, _, _ := record(t, 60)
	th := verdict.Thresholds{Rounds: 10, Extension: 10}
	aa, err := Analyze(d, Pair{Name: "aa", Base: "a", Cand: "a2"}, Options{Thresholds: th, Mode: Resample, Gates: 100, Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, 100, aa.Gates)
	assert.Equal(t, 0, aa.Fail, "identical builds never FAIL here")
	assert.InDelta(t, 0, aa.Effect["cpu_us_per_request/proxies"], 0.02)

	slow, err := Analyze(d, Pair{Name: "slow", Base: "a", Cand: "slow"}, Options{Thresholds: th, Mode: Disjoint})
	require.NoError(t, err)
	assert.Equal(t, 6, slow.Gates, "60 rounds make six disjoint gates of 10")
	assert.Equal(t, slow.Gates, slow.Fail)
	assert.Equal(t, slow.Gates, slow.MetricFail["cpu_us_per_request/proxies"])
	assert.InDelta(t, 0.2, slow.Effect["cpu_us_per_request/proxies"], 0.03)

	_, err = Analyze(d, Pair{Name: "x", Base: "a", Cand: "missing"}, Options{Thresholds: th, Mode: Disjoint})
	assert.Error(t, err)
}

func TestEligibleHonorsValidity(t *testing.T) {
	d, _, _ := record(t, 12)
	d.runs["a2"][3].Valid = false
	d.runs["a"][5].Valid = false
	assert.Len(t, d.Eligible("a", "a2"), 10)
	d.IncludeInvalid = true
	assert.Len(t, d.Eligible("a", "a2"), 12)
	b, _ := d.Sides("a", "a2", []int{5})
	assert.True(t, b[0].Valid, "included as evidence")
	assert.False(t, d.runs["a"][5].Valid, "the recording itself is not changed")
}

func TestWindow(t *testing.T) {
	d, _, _ := record(t, 12)
	w := d.Window(3, 7)
	assert.Len(t, w.Eligible("a", "a2"), 5)
	assert.Len(t, d.Window(10, 0).Eligible("a", "slow"), 3)
}

func TestMDE(t *testing.T) {
	d, _, _ := record(t, 40)
	curve, mde, err := MDE(d, Pair{Name: "aa", Base: "a", Cand: "a2"}, "cpu_us_per_request/proxies",
		[]float64{0.0, 0.02, 0.05, 0.10}, 0.8, Options{Thresholds: verdict.Thresholds{Rounds: 10, Extension: 10}, Mode: Resample, Gates: 40, Seed: 2})
	require.NoError(t, err)
	require.Len(t, curve, 4)
	assert.Equal(t, 0.0, curve[0].Detection, "no effect, no detection")
	assert.Equal(t, 1.0, curve[3].Detection, "10%% with 2%% noise is always caught")
	assert.Greater(t, mde, 0.0)
	assert.LessOrEqual(t, mde, 0.10)

	_, err = Scale("bogus", 1.1)
	assert.Error(t, err)
}

func TestNoise(t *testing.T) {
	d, _, _ := record(t, 30)
	ns := NoiseOf(d, verdict.Thresholds{BehindTolerance: 0.1})
	require.Len(t, ns, 3)
	for _, n := range ns {
		assert.Equal(t, 30, n.Runs)
		// The synthetic runs have 2% normal noise on CPU per proxy; the sum
		// of two has ~1.4%.
		assert.InDelta(t, 0.014, n.CV["cpu_us_per_request/proxies"], 0.007, n.Variant)
	}
	assert.InDelta(t, 1.4826/2, robustCV([]float64{1, 2, 3}), 1e-9, "MAD 1 around median 2")
}
