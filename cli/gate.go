package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/meshbench/meshbench/harness/gateexec"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/envinfo"
	"github.com/meshbench/meshbench/harness/gate/micro"
	"github.com/meshbench/meshbench/harness/gate/runner"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

type gateFlags struct {
	file, out, profile   string
	base, cand           string
	baseBin, candBin     string
	baseArgs, candArgs   []string
	packages             []string
	lanes                []string
	rounds, extension    int
	seed                 int64
	nice                 int
	allowCrossMachine    bool
	keepWorktrees, quiet bool
}

func newGateCmd(e *env) *cobra.Command {
	f := &gateFlags{}
	cmd := &cobra.Command{
		Use:   "gate -f SCENARIO --base REV --candidate REV",
		Short: "Decide whether a candidate build regresses against a base build (exit 0 pass, 1 regression, 2 inconclusive, 3 error)",
		Long: `gate builds base and candidate (each revision in its own git worktree, or takes
prebuilt binary directories), runs K rounds with both in a seeded random order on
this machine, and decides per metric by one-sided exact Mann-Whitney U tests, Holm
correction at family alpha 0.01 and Hodges-Lehmann effects with confidence
intervals against the scenario's thresholds. An INCONCLUSIVE first look runs the
one pre-declared extension. Micro scenarios compare Go benchmarks instead.
See docs/gate.md.

Exit codes: 0 PASS, 1 FAIL (regression), 2 INCONCLUSIVE, 3 usage or run error,
130 interrupted (SIGINT or SIGTERM: every process stopped, finished runs kept in
OUT/runs).`,
		Example: `  # a pull request against main
  meshbench gate -f scenarios/synthetic/gate.yaml --base origin/main --candidate HEAD

  # the working tree, uncommitted changes included, against HEAD
  meshbench gate -f scenarios/synthetic/gate.yaml --base HEAD --candidate .

  # two prebuilt binary sets; the candidate's proxies spin 5us per request
  meshbench gate -f scenarios/synthetic/gate.yaml --base-bin bin --candidate-bin bin \
      --candidate-proxy-arg=--inject-spin=5us

  # Go micro benchmarks of the proxy
  meshbench gate -f scenarios/micro/proxy.yaml --base HEAD~1 --candidate HEAD`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runGate(cmd.Context(), e, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "scenario file (required)")
	fl.StringVarP(&f.out, "out", "o", "", "output directory (default results/gate-<scenario>-<time>)")
	fl.StringVar(&f.profile, "profile", "", "named profile of the scenario (durations)")
	fl.StringVar(&f.base, "base", "", "base git revision (or '.' for the working tree)")
	fl.StringVar(&f.cand, "candidate", "", "candidate git revision (or '.' for the working tree)")
	fl.StringVar(&f.baseBin, "base-bin", "", "prebuilt base binaries (meshbench, meshproxy, meshcontrol) instead of --base")
	fl.StringVar(&f.candBin, "candidate-bin", "", "prebuilt candidate binaries instead of --candidate")
	fl.StringArrayVar(&f.baseArgs, "base-proxy-arg", nil, "extra meshproxy argument on the base side (repeatable)")
	fl.StringArrayVar(&f.candArgs, "candidate-proxy-arg", nil, "extra meshproxy argument on the candidate side (repeatable), e.g. --candidate-proxy-arg=--inject-spin=2us")
	fl.StringSliceVar(&f.packages, "build", runner.DefaultPackages, "packages to build (the base builds all; the candidate all but the harness's ./cmd/meshbench, which it takes from the base)")
	fl.StringSliceVar(&f.lanes, "lanes", nil, "lanes, overriding the scenario's")
	fl.IntVar(&f.rounds, "rounds", 0, "K rounds (default: the scenario's gate.rounds, else 15)")
	fl.IntVar(&f.extension, "extension", 0, "rounds of the one extension on INCONCLUSIVE (default: gate.extension, else 15; -1 for none)")
	fl.Int64Var(&f.seed, "seed", 0, "seed of the round order (default: the scenario's)")
	fl.IntVar(&f.nice, "nice", 10, "nice level of builds (0 to not renice)")
	fl.BoolVar(&f.allowCrossMachine, "allow-cross-machine", false, "compare results from different machines anyway")
	fl.BoolVar(&f.keepWorktrees, "keep-worktrees", false, "keep the git worktrees after the gate")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no per-run progress lines")
	_ = cmd.MarkFlagRequired("file")
	cmd.AddCommand(newGateRecordCmd(e), newGateStudyCmd(e))
	return cmd
}

// exitInterrupted is the exit code of a command stopped by SIGINT or
// SIGTERM (128 + SIGINT, as a shell reports Ctrl-C).
const exitInterrupted = 130

// runGate runs the gate; an interrupt at any point (checkout, build, a
// round) exits 130 once everything started has been stopped.
func runGate(ctx context.Context, e *env, f *gateFlags) error {
	err := gate(ctx, e, f)
	if err != nil && ctx.Err() != nil {
		return &ExitError{Code: exitInterrupted, Err: err}
	}
	return err
}

func gate(ctx context.Context, e *env, f *gateFlags) error {
	began := time.Now()
	s, th, err := loadGateScenario(f.file, f.profile, f.rounds, f.extension)
	if err != nil {
		return err
	}
	if (f.base == "") == (f.baseBin == "") && s.Kind != scenario.KindMicro || f.base == "" && s.Kind == scenario.KindMicro {
		return usageError("give the base as exactly one of --base REV or --base-bin DIR (micro scenarios: --base REV)")
	}
	if (f.cand == "") == (f.candBin == "") && s.Kind != scenario.KindMicro || f.cand == "" && s.Kind == scenario.KindMicro {
		return usageError("give the candidate as exactly one of --candidate REV or --candidate-bin DIR (micro scenarios: --candidate REV)")
	}
	if f.out == "" {
		f.out = filepath.Join("results", "gate-"+s.Name+"-"+time.Now().UTC().Format("20060102-150405"))
	}
	lock, err := claimOut(f.out)
	if err != nil {
		return err
	}
	defer lock.Release()
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	seed := s.Seed
	if f.seed != 0 {
		seed = f.seed
	}
	base := runner.Side{Name: runner.Base, Label: f.base, BinDir: f.baseBin, ProxyArgs: f.baseArgs}
	cand := runner.Side{Name: runner.Candidate, Label: f.cand, BinDir: f.candBin, ProxyArgs: f.candArgs}
	var checkouts []*runner.Checkout
	defer func() {
		if f.keepWorktrees {
			return
		}
		for _, c := range checkouts {
			if err := c.Close(); err != nil {
				e.log.Warn("worktree not removed", "dir", c.Dir, "err", err)
			}
		}
	}()
	for _, side := range []*runner.Side{&base, &cand} {
		if side.BinDir != "" {
			side.Label = side.BinDir
			continue
		}
		fmt.Fprintf(e.streams.Err, "gate: checking out %s %s\n", side.Name, side.Label)
		co, err := runner.CheckoutRev(ctx, repo, side.Label, filepath.Join(os.TempDir(), "meshbench-gate"))
		if err != nil {
			return err
		}
		checkouts = append(checkouts, co)
		side.Rev = co.Rev
		if s.Kind == scenario.KindMicro {
			side.BinDir = co.Dir // micro: the source tree itself
			continue
		}
		side.BinDir = filepath.Join(f.out, "bin-"+side.Name)
		pkgs := f.packages
		if side.Name == runner.Candidate {
			// The harness (load client, app) comes from the base only.
			side.BinDir += "-mesh"
			pkgs = runner.MeshOnly(pkgs)
		}
		fmt.Fprintf(e.streams.Err, "gate: building %s (%s) into %s\n", side.Name, shortRev(co.Rev), side.BinDir)
		if err := co.Build(ctx, side.BinDir, pkgs, f.nice); err != nil {
			return err
		}
	}
	if s.Kind != scenario.KindMicro {
		// Only the mesh differs between the sides: the candidate runs the
		// base's meshbench binary (built or given once) beside its own
		// meshproxy and meshcontrol.
		if cand, err = runner.UseBaseHarness(base, cand, filepath.Join(f.out, "bin-candidate")); err != nil {
			return err
		}
		fmt.Fprintf(e.streams.Err, "gate: the candidate runs the base's %s (load client, app) and its own mesh binaries\n", runner.HarnessBinary)
	}
	envi := envinfo.Collect(repo)
	var c *results.Comparison
	if s.Kind == scenario.KindMicro {
		c, err = gateMicro(ctx, e, f, s, th, base, cand, seed, envi)
	} else {
		c, err = gateLoad(ctx, e, f, s, th, base, cand, seed, envi)
	}
	if err != nil {
		return err
	}
	c.Notes = append(c.Notes, fmt.Sprintf("gate took %s", time.Since(began).Round(time.Second)))
	if err := emitComparison(e, c, filepath.Join(f.out, "comparison.json")); err != nil {
		return err
	}
	if err := renderGateReport(ctx, e, c, f.out, s.Name); err != nil {
		e.log.Warn("report not rendered", "err", err)
	}
	return verdictExit(c)
}

func gateLoad(ctx context.Context, e *env, f *gateFlags, s *scenario.Scenario, th verdict.Thresholds,
	base, cand runner.Side, seed int64, envi results.Environment) (*results.Comparison, error) {
	if len(f.lanes) > 0 {
		s.Lanes = f.lanes
	}
	x := &gateexec.Local{Scenario: s, OutDir: f.out, Env: envi, Log: e.log}
	if !f.quiet {
		x.Progress = e.streams.Err
	}
	defer x.Close(context.WithoutCancel(ctx))
	out, err := runner.Gate(ctx, runner.Options{Base: base, Candidate: cand, Thresholds: th, Exec: x, Seed: seed,
		Scenario: s.Name, AllowCrossMachine: f.allowCrossMachine, Log: e.log, Progress: e.streams.Err})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(e.streams.Err, "interrupted: runs so far kept in %s/runs; every process stopped\n", f.out)
		}
		return nil, err
	}
	if out.First != nil {
		if err := results.WriteJSON(filepath.Join(f.out, "comparison-look1.json"), out.First); err != nil {
			return nil, err
		}
	}
	return out.Comparison, nil
}

func gateMicro(ctx context.Context, e *env, f *gateFlags, s *scenario.Scenario, th verdict.Thresholds,
	base, cand runner.Side, seed int64, envi results.Environment) (*results.Comparison, error) {
	spec, err := micro.DecodeSpec(s.Micro)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.File, err)
	}
	if f.rounds > 0 {
		spec.Count = f.rounds
	}
	opts := micro.Options{Spec: spec, Base: micro.Side{Label: base.Label, Root: base.BinDir},
		Candidate: micro.Side{Label: cand.Label, Root: cand.BinDir}, WorkDir: f.out, Seed: seed, Nice: f.nice,
		Log: e.log, Progress: e.streams.Err}
	samples, err := micro.Run(ctx, opts)
	if err != nil {
		return nil, err
	}
	for name, raw := range map[string][]byte{"bench-base.txt": samples.RawBase, "bench-candidate.txt": samples.RawCandidate} {
		if err := results.WriteFileAtomic(filepath.Join(f.out, name), raw); err != nil {
			return nil, err
		}
	}
	c, err := micro.Compare(samples, th, 1, base.Label, cand.Label, s.Name, envi)
	if err != nil {
		return nil, err
	}
	if c.Verdict == results.Inconclusive && th.Extension > 0 {
		fmt.Fprintf(e.streams.Err, "gate: first look INCONCLUSIVE: running the pre-declared extension of %d rounds\n", th.Extension)
		opts.Spec.Count = th.Extension
		opts.Seed = seed + 1
		more, err := micro.Run(ctx, opts)
		if err != nil {
			return nil, err
		}
		for k, v := range more.Base {
			samples.Base[k] = append(samples.Base[k], v...)
		}
		for k, v := range more.Candidate {
			samples.Candidate[k] = append(samples.Candidate[k], v...)
		}
		if c, err = micro.Compare(samples, th, 2, base.Label, cand.Label, s.Name, envi); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// loadGateScenario loads a scenario and its gate thresholds, with flag
// overrides of K and the extension.
func loadGateScenario(file, profile string, rounds, extension int) (*scenario.Scenario, verdict.Thresholds, error) {
	s, err := scenario.Load(file)
	if err != nil {
		return nil, verdict.Thresholds{}, err
	}
	if err := s.ApplyProfile(profile); err != nil {
		return nil, verdict.Thresholds{}, err
	}
	g := s.Gate
	if rounds != 0 || extension != 0 {
		g = map[string]any{}
		for k, v := range s.Gate {
			g[k] = v
		}
		if rounds != 0 {
			g["rounds"] = rounds
		}
		if extension != 0 {
			g["extension"] = extension
		}
	}
	th, err := verdict.Decode(g)
	if err != nil {
		return nil, th, fmt.Errorf("%s: %w", file, err)
	}
	return s, th, nil
}

func shortRev(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}
