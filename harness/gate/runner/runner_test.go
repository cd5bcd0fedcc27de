package runner

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

// fakeExec is the seam: synthetic runs whose candidate CPU is scaled and
// whose noise is chosen, with the call order recorded.
type fakeExec struct {
	rng      *rand.Rand
	cpuScale float64
	noise    float64
	invalid  map[int]bool // rounds whose candidate run is invalid (CPU steal)
	errors   map[int]bool // rounds whose candidate answers 2% of requests with 503
	errBase  map[int]bool // rounds whose base answers every request with an error
	fail     map[int]bool // rounds whose candidate run fails to run
	failBase map[int]bool // rounds whose base run fails to run
	behind   map[int]bool // rounds whose candidate run fell 5% behind
	calls    []string
}

func (f *fakeExec) Run(_ context.Context, s Side, round, seq int) ([]*results.Result, error) {
	f.calls = append(f.calls, s.Name)
	if s.Name == Candidate && f.fail[round] || s.Name == Base && f.failBase[round] {
		return nil, errors.New("client-proxy not ready: bind: address already in use")
	}
	scale := 1.0
	if s.Name == Candidate {
		scale = f.cpuScale
	}
	n := func() float64 { return 1 + f.noise*f.rng.NormFloat64() }
	r := &results.Result{Schema: results.Schema, Lane: "mesh", Mode: "both", Case: results.Case{Name: "c"},
		Order: seq, Requests: 1000, Valid: !(s.Name == Candidate && (f.invalid[round] || f.behind[round])),
		TargetQPS: 500, AchievedQPS: 500,
		Environment: results.Environment{MachineID: "m"},
		Latency:     results.Percentiles{P50: n(), P90: 2 * n(), P99: 4 * n(), P999: 8 * n()},
		Components: []results.Component{
			{Role: results.RoleClientProxy, CPUUsPerRequest: 40 * scale * n(), RSSBytesSteady: 20 << 20},
			{Role: results.RoleServerProxy, CPUUsPerRequest: 40 * scale * n(), RSSBytesSteady: 20 << 20},
		}}
	if s.Name == Candidate && f.invalid[round] {
		r.InvalidReasons = []string{"CPU steal 14.0% during the measured window"}
	}
	if s.Name == Candidate && f.errors[round] {
		r.Errors, r.Valid, r.InvalidReasons = 20, false, []string{"20 errors in 1000 requests"}
	}
	if s.Name == Base && f.errBase[round] {
		r.Errors, r.Valid, r.InvalidReasons = 1000, false, []string{"1000 errors in 1000 requests"}
	}
	if s.Name == Candidate && f.behind[round] {
		r.AchievedQPS = 475
		r.InvalidReasons = []string{"load generator fell behind: 475.0 of 500 qps"}
	}
	return []*results.Result{r}, nil
}

func TestGate(t *testing.T) {
	tests := []struct {
		name      string
		scale     float64
		noise     float64
		want      string
		extended  bool
		wantRuns  int
		invalid   map[int]bool
		voidNoted bool
	}{
		{"20% CPU regression fails", 1.2, 0.01, results.Fail, false, 30, nil, false},
		{"A/A passes", 1.0, 0.005, results.Pass, false, 30, nil, false},
		// 4% CPU against a 3% threshold with 3% noise: undecided at K=15, so
		// the one extension runs, and that is the last word.
		{"borderline uses the extension once", 1.04, 0.03, "", true, 60, nil, false},
		{"void rounds are dropped and replaced", 1.0, 0.005, results.Pass, false, 34, map[int]bool{3: true, 7: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeExec{rng: rand.New(rand.NewPCG(11, 12)), cpuScale: tt.scale, noise: tt.noise, invalid: tt.invalid}
			out, err := Gate(context.Background(), Options{Base: Side{Name: Base, Label: "a"}, Candidate: Side{Name: Candidate, Label: "b"},
				Exec: f, Seed: 42})
			require.NoError(t, err)
			if tt.want != "" {
				assert.Equal(t, tt.want, out.Comparison.Verdict)
			}
			assert.Equal(t, tt.extended, out.Comparison.Extended)
			assert.Equal(t, tt.extended, out.First != nil)
			assert.Len(t, out.Runs, tt.wantRuns)
			assert.Len(t, f.calls, tt.wantRuns)
			if tt.voidNoted {
				assert.Contains(t, out.Comparison.Notes, "2 of 17 rounds void (the load client starved, CPU steal, or neither side ran): [3 7]")
				assert.Equal(t, 15, out.Comparison.Rounds)
			}
		})
	}
}

func TestGateFailedRun(t *testing.T) {
	tests := []struct {
		name           string
		fail, failBase map[int]bool
		wantErr        string
		verdict        string
	}{
		// One failed candidate run counts against it but cannot FAIL it
		// alone, nor block a PASS: a port someone else took is not a verdict.
		{"one failed candidate run counts, the round stands", map[int]bool{4: true}, nil, "", results.Pass},
		{"a candidate that never runs FAILs", allRounds(), nil, "", results.Fail},
		{"a round neither side ran is void; a second ends the gate", map[int]bool{4: true, 6: true}, map[int]bool{4: true, 6: true}, "round 6", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeExec{rng: rand.New(rand.NewPCG(1, 1)), cpuScale: 1, noise: 0.005, fail: tt.fail, failBase: tt.failBase}
			out, err := Gate(context.Background(), Options{Base: Side{Name: Base}, Candidate: Side{Name: Candidate}, Exec: f,
				Thresholds: verdict.Thresholds{Rounds: 15, Extension: -1}})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.verdict, out.Comparison.Verdict)
			assert.Len(t, f.calls, 30, "no round was replaced")
			require.NotEmpty(t, out.Comparison.Reasons)
			assert.Contains(t, strings.Join(out.Comparison.Reasons, "\n"), "round 4, candidate: client-proxy not ready")
			m := metricRow(t, out.Comparison, "error_rate")
			assert.Equal(t, 15, m.NCand)
		})
	}
}

// The case: a candidate whose proxy answers 503 to 2% of requests
// was voided in every round and ended as a run error ("deciding on 0
// valid rounds", exit 3). Its runs are evidence against it: FAIL.
func TestGateErrorRateRegressionFails(t *testing.T) {
	f := &fakeExec{rng: rand.New(rand.NewPCG(1, 1)), cpuScale: 1, noise: 0.005, errors: allRounds()}
	out, err := Gate(context.Background(), Options{Base: Side{Name: Base}, Candidate: Side{Name: Candidate}, Exec: f,
		Thresholds: verdict.Thresholds{Rounds: 15, Extension: -1}})
	require.NoError(t, err)
	assert.Equal(t, results.Fail, out.Comparison.Verdict)
	assert.Equal(t, results.Fail, metricRow(t, out.Comparison, "error_rate").Verdict)
	assert.Len(t, f.calls, 30, "no round void")
}

// Found from outside: every run of both sides failed (error rate 1) and
// the gate said PASS. A base that fails too is no yardstick: the rounds are
// void and the gate ends as an error, never as a verdict.
func TestGateBothSidesFailingIsNoVerdict(t *testing.T) {
	f := &fakeExec{rng: rand.New(rand.NewPCG(1, 1)), cpuScale: 1, noise: 0.005, errors: allRounds(), errBase: allRounds()}
	out, err := Gate(context.Background(), Options{Base: Side{Name: Base}, Candidate: Side{Name: Candidate}, Exec: f,
		Thresholds: verdict.Thresholds{Rounds: 6, Extension: -1}})
	require.Error(t, err, "verdict %+v", out)

	// The base failing alone is not the candidate's regression either way,
	// but one such round among valid ones does not stop the gate.
	f = &fakeExec{rng: rand.New(rand.NewPCG(1, 1)), cpuScale: 1, noise: 0.005, errors: map[int]bool{2: true}, errBase: map[int]bool{2: true}}
	out, err = Gate(context.Background(), Options{Base: Side{Name: Base}, Candidate: Side{Name: Candidate}, Exec: f,
		Thresholds: verdict.Thresholds{Rounds: 8, Extension: -1}})
	require.NoError(t, err)
	assert.Equal(t, results.Pass, out.Comparison.Verdict)
	assert.Len(t, f.calls, 18, "the round both failed is void and replaced")
}

func allRounds() map[int]bool {
	every := map[int]bool{}
	for i := 1; i <= 100; i++ {
		every[i] = true
	}
	return every
}

func metricRow(t *testing.T, c *results.Comparison, name string) results.MetricComparison {
	t.Helper()
	for _, m := range c.Metrics {
		if m.Metric == name {
			return m
		}
	}
	t.Fatalf("no metric %s", name)
	return results.MetricComparison{}
}

func TestGateKeepsRunsSlightlyBehind(t *testing.T) {
	f := &fakeExec{rng: rand.New(rand.NewPCG(1, 1)), cpuScale: 1, noise: 0.005, behind: map[int]bool{2: true, 4: true}}
	out, err := Gate(context.Background(), Options{Base: Side{Name: Base}, Candidate: Side{Name: Candidate}, Exec: f,
		Thresholds: verdict.Thresholds{Rounds: 8, Extension: -1}})
	require.NoError(t, err)
	assert.Len(t, f.calls, 16, "5%% behind is within the 10%% tolerance: no round void")
	assert.Contains(t, out.Comparison.Notes, "kept 0 base and 2 candidate runs whose load generator fell behind by less than 10%")

	f = &fakeExec{rng: rand.New(rand.NewPCG(1, 1)), cpuScale: 1, noise: 0.005, behind: map[int]bool{2: true}}
	_, err = Gate(context.Background(), Options{Base: Side{Name: Base}, Candidate: Side{Name: Candidate}, Exec: f,
		Thresholds: verdict.Thresholds{Rounds: 8, Extension: -1, BehindTolerance: -1}})
	require.NoError(t, err)
	assert.Len(t, f.calls, 18, "with the tolerance off, the round is void and replaced")
}

func TestGateReplacementBudget(t *testing.T) {
	every := map[int]bool{}
	for i := 1; i <= 100; i++ {
		every[i] = true
	}
	f := &fakeExec{rng: rand.New(rand.NewPCG(1, 1)), cpuScale: 1, noise: 0.01, invalid: every}
	_, err := Gate(context.Background(), Options{Base: Side{Name: Base}, Candidate: Side{Name: Candidate}, Exec: f,
		Thresholds: verdict.Thresholds{Rounds: 6, Extension: -1}})
	// Every round void: after 6/3+1 = 3 void rounds the look stops, and
	// with no valid run there is nothing to compare.
	require.Error(t, err)
	assert.Len(t, f.calls, 2*3)
}

func TestGateOrderIsSeededAndMixed(t *testing.T) {
	order := func(seed int64) []string {
		f := &fakeExec{rng: rand.New(rand.NewPCG(1, 1)), cpuScale: 1, noise: 0.001}
		_, err := Gate(context.Background(), Options{Base: Side{Name: Base}, Candidate: Side{Name: Candidate}, Exec: f, Seed: seed,
			Thresholds: verdict.Thresholds{Rounds: 10, Extension: -1}})
		require.NoError(t, err)
		return f.calls
	}
	a := order(1)
	assert.Equal(t, a, order(1), "same seed, same order")
	assert.NotEqual(t, a, order(2))
	baseFirst := 0
	for i := 0; i < len(a); i += 2 {
		assert.NotEqual(t, a[i], a[i+1], "each round runs both sides")
		if a[i] == Base {
			baseFirst++
		}
	}
	assert.True(t, baseFirst > 0 && baseFirst < 10, "both orders occur: base first in %d of 10 rounds", baseFirst)
}

func TestCheckoutAndBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a git worktree and builds")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	run := func(args ...string) {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	run("git", "init", "-q")
	require.NoError(t, writeFile(filepath.Join(repo, "go.mod"), "module example.com/x\n\ngo 1.22\n"))
	require.NoError(t, writeFile(filepath.Join(repo, "cmd", "hello", "main.go"), "package main\n\nfunc main() { println(\"v1\") }\n"))
	run("git", "add", ".")
	run("git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "-m", "v1")
	// An uncommitted change must not leak into the revision's build.
	require.NoError(t, writeFile(filepath.Join(repo, "cmd", "hello", "main.go"), "package main\n\nfunc main() { println(\"dirty\") }\n"))

	co, err := CheckoutRev(context.Background(), repo, "HEAD", t.TempDir())
	require.NoError(t, err)
	defer co.Close()
	assert.Len(t, co.Rev, 40)
	bin := t.TempDir()
	require.NoError(t, co.Build(context.Background(), bin, []string{"./cmd/..."}, 0))
	out, err := exec.Command(filepath.Join(bin, "hello")).CombinedOutput()
	require.NoError(t, err)
	assert.Equal(t, "v1\n", string(out))
	require.NoError(t, co.Close())

	// Two worktrees of one revision build byte-identical binaries.
	co2, err := CheckoutRev(context.Background(), repo, "HEAD", t.TempDir())
	require.NoError(t, err)
	defer co2.Close()
	bin2 := t.TempDir()
	require.NoError(t, co2.Build(context.Background(), bin2, []string{"./cmd/..."}, 0))
	a, err := os.ReadFile(filepath.Join(bin, "hello"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(bin2, "hello"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(a, b), "identical sources, identical binaries")

	_, err = CheckoutRev(context.Background(), repo, "no-such-rev", t.TempDir())
	assert.ErrorContains(t, err, "no-such-rev")
}

func TestGateScenarioDecodes(t *testing.T) {
	s, err := scenario.Load(filepath.Join("..", "..", "..", "scenarios", "synthetic", "gate.yaml"))
	require.NoError(t, err)
	th, err := verdict.Decode(s.Gate)
	require.NoError(t, err)
	assert.Equal(t, 15, th.Rounds)
	assert.Equal(t, 15, th.Extension)
	assert.Equal(t, []string{"mesh/both"}, s.Lanes)
}
