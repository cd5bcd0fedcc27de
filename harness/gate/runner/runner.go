package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/meshbench/meshbench/harness/gate/compare"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

// Side names.
const (
	Base      = "base"
	Candidate = "candidate"
)

// Side is one of the two builds under comparison.
type Side struct {
	Name      string // Base or Candidate
	Label     string // what the table shows: a git revision or a directory
	Rev       string // git revision, when built from one
	BinDir    string // meshbench, meshproxy, meshcontrol
	ProxyArgs []string
}

// Executor runs one side once: every lane and case of the scenario, one
// repetition, labeled with the side and round. Implementations need not be
// safe for concurrent use; the runner calls one at a time.
type Executor interface {
	Run(ctx context.Context, side Side, round, seq int) ([]*results.Result, error)
}

// Options of a gate.
type Options struct {
	Base, Candidate Side
	Thresholds      verdict.Thresholds
	Exec            Executor
	Seed            int64
	Scenario        string
	// AllowCrossMachine is passed to compare (a gate runs both sides on
	// one machine, so this only matters for hand-assembled result sets).
	AllowCrossMachine bool
	Log               *slog.Logger
	Progress          io.Writer
}

// Outcome is the gate's decision and the runs behind it.
type Outcome struct {
	Comparison *results.Comparison
	Runs       []*results.Result
	// First is the decision at the first look when the extension ran.
	First *results.Comparison
}

// Gate runs the gate.
func Gate(ctx context.Context, o Options) (*Outcome, error) {
	th, err := o.Thresholds.Normalize()
	if err != nil {
		return nil, err
	}
	o.Thresholds = th
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	g := &gate{o: o, rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x67617465))}
	if err := g.look(ctx, th.Rounds); err != nil {
		return nil, err
	}
	first, err := g.decide(1)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Comparison: first}
	if first.Verdict == results.Inconclusive && th.Extension > 0 {
		g.progress("first look INCONCLUSIVE: running the pre-declared extension of %d rounds", th.Extension)
		if err := g.look(ctx, th.Extension); err != nil {
			return nil, err
		}
		second, err := g.decide(2)
		if err != nil {
			return nil, err
		}
		out.First, out.Comparison = first, second
	}
	out.Runs = g.kept()
	return out, nil
}

type gate struct {
	o      Options
	rng    *rand.Rand
	seq    int
	byRnd  map[int][]*results.Result
	voided []int
	// failed is the round in which neither side could run at all, if one
	// did. It voids its round: a port taken by someone else should not
	// throw away minutes of measurements. A second ends the gate with its
	// error.
	failed error
	// sideFailures are the runs one side could not make while the other
	// could: evidence against that side (compare counts them as failed
	// runs in its error rate).
	sideFailures []string
}

func (g *gate) progress(format string, args ...any) {
	if g.o.Progress != nil {
		fmt.Fprintf(g.o.Progress, "gate: "+format+"\n", args...)
	}
}

// look runs rounds until want of them are valid, each side once per round
// in a seeded random order. A void round (any invalid run) is replaced, but
// at most ceil(want/3) times per look: the number of rounds stays bounded
// and declared in advance, never "rerun until it passes".
func (g *gate) look(ctx context.Context, want int) error {
	if g.byRnd == nil {
		g.byRnd = map[int][]*results.Result{}
	}
	budget := (want + 2) / 3
	for valid, void := 0, 0; valid < want; {
		if void > budget {
			g.progress("%d void rounds in this look exceed the replacement budget of %d: deciding on %d valid rounds", void, budget, valid)
			return nil
		}
		round := len(g.byRnd) + 1
		ok, err := g.round(ctx, round)
		if err != nil {
			return err
		}
		if ok {
			valid++
		} else {
			void++
		}
	}
	return nil
}

// round runs one round and reports whether it is valid. A side that fails
// to run (its executor returns an error) does not void the round when the
// other side ran: the failing side gets a failed result for every run the
// other side made, evidence against it (its error rate). A round is void
// only when neither side measured anything, or when a run is invalid for a
// reason that says nothing about either build (the load client starved,
// CPU steal); runs invalid because of their build (errors, a component that
// failed) keep the round and count against their side.
func (g *gate) round(ctx context.Context, round int) (bool, error) {
	sides := []Side{g.o.Base, g.o.Candidate}
	g.rng.Shuffle(2, func(i, j int) { sides[i], sides[j] = sides[j], sides[i] })
	g.progress("round %d: %s then %s", round, sides[0].Name, sides[1].Name)
	var got []*results.Result
	failed := map[string]error{}
	for _, s := range sides {
		rs, err := g.o.Exec.Run(ctx, s, round, g.seq)
		if err != nil && ctx.Err() != nil {
			return false, fmt.Errorf("round %d, %s: %w", round, s.Name, err)
		}
		g.seq += len(rs)
		for _, r := range rs {
			if r.Labels == nil {
				r.Labels = map[string]string{}
			}
			r.Labels["build"], r.Labels["round"] = s.Name, strconv.Itoa(round)
		}
		got = append(got, rs...)
		if err != nil {
			failed[s.Name] = fmt.Errorf("round %d, %s: %w", round, s.Name, err)
		}
	}
	for _, s := range sides {
		err := failed[s.Name]
		if err == nil {
			continue
		}
		synth := failedRuns(got, s, round, err)
		if len(synth) == 0 && !hasSide(got, s.Name) {
			// Nothing measured to pair a failure with (both sides failed):
			// void, and a second such round ends the gate.
			g.byRnd[round] = got
			g.voided = append(g.voided, round)
			if g.failed != nil {
				return false, err
			}
			g.failed = err
			g.progress("round %d void: %v; one more such round ends the gate", round, err)
			return false, nil
		}
		got = append(got, synth...)
		g.sideFailures = append(g.sideFailures, err.Error())
		g.progress("round %d: %v (counted against the %s)", round, err, s.Name)
	}
	g.byRnd[round] = got
	for _, r := range got {
		if !compare.Usable(r, g.o.Thresholds.BehindTolerance) && !compare.Failed(r) {
			// A round is evidence only whole: keeping one side's run would
			// pair it with nothing measured under the same conditions.
			g.voided = append(g.voided, round)
			g.progress("round %d void: %s", round, r.InvalidReasons)
			return false, nil
		}
	}
	if why := bothFailed(got); why != "" {
		// The base is the yardstick: when it failed the same run as the
		// candidate, equal error rates are no evidence that nothing
		// regressed (every run of both sides failing once read as PASS).
		// The round is void, and a gate left with none ends as an error.
		g.voided = append(g.voided, round)
		g.progress("round %d void: both builds failed %s", round, why)
		return false, nil
	}
	return true, nil
}

// bothFailed names the first lane and case whose base and candidate runs
// both failed in this round, or returns "".
func bothFailed(got []*results.Result) string {
	failed := map[string]map[string]bool{}
	for _, r := range got {
		if !compare.Failed(r) {
			continue
		}
		if failed[r.Key()] == nil {
			failed[r.Key()] = map[string]bool{}
		}
		failed[r.Key()][r.Labels["build"]] = true
		if failed[r.Key()][Base] && failed[r.Key()][Candidate] {
			return r.Key() + ": " + strings.Join(r.InvalidReasons, "; ")
		}
	}
	return ""
}

// failedRuns makes a failed result of side s for every lane and case the
// other side ran in this round and s did not: the run s could not make.
func failedRuns(got []*results.Result, s Side, round int, err error) []*results.Result {
	have := map[string]bool{}
	for _, r := range got {
		if r.Labels["build"] == s.Name {
			have[r.Key()] = true
		}
	}
	var out []*results.Result
	for _, r := range got {
		if r.Labels["build"] == s.Name || have[r.Key()] {
			continue
		}
		have[r.Key()] = true
		env := r.Environment
		env.GitRevision = s.Rev
		out = append(out, &results.Result{Schema: r.Schema, Scenario: r.Scenario, ScenarioKind: r.ScenarioKind,
			Platform: r.Platform, Lane: r.Lane, Mode: r.Mode, Case: r.Case, Repetition: r.Repetition, Seed: r.Seed,
			TargetQPS: r.TargetQPS, Environment: env, Valid: false,
			InvalidReasons: []string{"run failed: " + err.Error()},
			Labels:         map[string]string{"build": s.Name, "round": strconv.Itoa(round)}})
	}
	return out
}

func hasSide(rs []*results.Result, side string) bool {
	for _, r := range rs {
		if r.Labels["build"] == side {
			return true
		}
	}
	return false
}

func (g *gate) kept() []*results.Result {
	var all []*results.Result
	for round := 1; round <= len(g.byRnd); round++ {
		all = append(all, g.byRnd[round]...)
	}
	return all
}

func (g *gate) decide(look int) (*results.Comparison, error) {
	var base, cand []*results.Result
	for round, rs := range g.byRnd {
		if contains(g.voided, round) {
			continue
		}
		for _, r := range rs {
			if r.Labels["build"] == Base {
				base = append(base, r)
			} else {
				cand = append(cand, r)
			}
		}
	}
	c, err := compare.Compare(base, cand, compare.Options{BaseLabel: g.o.Base.Label, CandidateLabel: g.o.Candidate.Label,
		Scenario: g.o.Scenario, Thresholds: g.o.Thresholds, Look: look, AllowCrossMachine: g.o.AllowCrossMachine})
	if err != nil {
		return nil, err
	}
	c.Seed = g.o.Seed
	if len(g.voided) > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d of %d rounds void (the load client starved, CPU steal, or neither side ran): %v", len(g.voided), len(g.byRnd), g.voided))
	}
	if g.failed != nil {
		c.Notes = append(c.Notes, fmt.Sprintf("neither side could run and the round was void: %v", g.failed))
	}
	if len(g.sideFailures) > 0 {
		c.Reasons = append(c.Reasons, fmt.Sprintf("runs one side failed to make, counted against it: %s", strings.Join(g.sideFailures, "; ")))
	}
	if len(g.o.Candidate.ProxyArgs) > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("candidate proxy args: %q", g.o.Candidate.ProxyArgs))
	}
	if len(g.o.Base.ProxyArgs) > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("base proxy args: %q", g.o.Base.ProxyArgs))
	}
	return c, nil
}

func contains(v []int, x int) bool {
	for _, y := range v {
		if y == x {
			return true
		}
	}
	return false
}
