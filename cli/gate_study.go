package cli

import (
	"context"
	"fmt"
	"github.com/meshbench/meshbench/harness/gateexec"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/envinfo"
	"github.com/meshbench/meshbench/harness/gate/study"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

type recordFlags struct {
	file, profile, bin, out string
	variants                []string
	rounds                  int
	forDur                  time.Duration
	seed                    int64
	quiet                   bool
}

// newGateRecordCmd records the interleaved rounds the gate's
// self-validation study is computed from (docs/gate.md).
func newGateRecordCmd(e *env) *cobra.Command {
	f := &recordFlags{}
	cmd := &cobra.Command{
		Use:   "record -f SCENARIO --bin DIR --variant NAME[=PROXY-ARGS]... -o DIR",
		Short: "Record interleaved rounds of one build's variants (A/A and injected regressions) for the gate study",
		Example: `  meshbench gate record -f scenarios/synthetic/gate.yaml --bin bin -o out/study \
      --variant a --variant a2 --variant spin5="--inject-spin=4us" \
      --variant delay="--inject-delay=2ms --inject-delay-fraction=0.01" --for 90m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, _, err := loadGateScenario(f.file, f.profile, 0, 0)
			if err != nil {
				return err
			}
			var vs []study.Variant
			for _, v := range f.variants {
				name, args, _ := strings.Cut(v, "=")
				if name == "" {
					return usageError("--variant %q: want NAME or NAME=PROXY-ARGS", v)
				}
				vs = append(vs, study.Variant{Name: name, ProxyArgs: strings.Fields(args)})
			}
			lock, err := claimOut(f.out)
			if err != nil {
				return err
			}
			defer lock.Release()
			x := &gateexec.Local{Scenario: s, OutDir: f.out, Env: envinfo.Collect("."), Log: e.log}
			if !f.quiet {
				x.Progress = e.streams.Err
			}
			defer x.Close(context.WithoutCancel(ctx))
			o := study.RecordOptions{Exec: x, Variants: vs, BinDir: f.bin, Scenario: s.Name, OutDir: f.out,
				MaxRounds: f.rounds, Seed: f.seed, Command: strings.Join(os.Args, " "), Progress: e.streams.Err}
			if f.forDur > 0 {
				o.Deadline = time.Now().Add(f.forDur)
			}
			m, err := study.Record(ctx, o)
			if m != nil {
				fmt.Fprintf(e.streams.Out, "recorded %d rounds (%d runs, %d failed to run) of %d variants in %s\n", m.Rounds, m.Runs, len(m.Failed), len(vs), f.out)
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "scenario file (required)")
	fl.StringVar(&f.profile, "profile", "", "named profile of the scenario")
	fl.StringVar(&f.bin, "bin", "", "directory with meshbench, meshproxy, meshcontrol (required)")
	fl.StringVarP(&f.out, "out", "o", "", "output directory (required)")
	fl.StringArrayVar(&f.variants, "variant", nil, "NAME or NAME=PROXY-ARGS (space-separated), repeatable")
	fl.IntVar(&f.rounds, "rounds", 1000, "at most this many rounds")
	fl.DurationVar(&f.forDur, "for", 0, "stop before a round that would end after this long")
	fl.Int64Var(&f.seed, "seed", 1, "seed of the variant order")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no per-run progress lines")
	for _, name := range []string{"file", "bin", "out"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

type studyFlags struct {
	file, jsonOut string
	pairs         []string
	modes         []string
	gates         int
	rounds        int
	extension     int
	mdePair       string
	mdeGrid       []float64
	mdeTarget     float64
	mdeGates      int
	seed          uint64
	inclInvalid   bool
	window        string
	set           []string
}

// newGateStudyCmd forms gates from a recording and reports their rates.
func newGateStudyCmd(e *env) *cobra.Command {
	f := &studyFlags{}
	cmd := &cobra.Command{
		Use:     "study DIR",
		Short:   "Form gates from a recording (gate record) and report A/A false-FAIL, INCONCLUSIVE and detection rates, and minimum detectable effects",
		Example: `  meshbench gate study out/study --pair aa=a:a2 --pair spin5=a:spin5 --mde-pair a:a2`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			th, err := studyThresholds(f)
			if err != nil {
				return err
			}
			rs, err := results.ReadAll(filepath.Join(args[0], "runs"))
			if err != nil {
				return err
			}
			out := e.streams.Out
			d, err := study.NewData(rs)
			if err != nil {
				return err
			}
			d.IncludeInvalid = f.inclInvalid
			if f.window != "" {
				var first, last int
				if _, err := fmt.Sscanf(f.window, "%d-%d", &first, &last); err != nil {
					if _, err := fmt.Sscanf(f.window, "%d-", &first); err != nil {
						return usageError("--window %q: want FIRST-LAST or FIRST- (round numbers)", f.window)
					}
				}
				d = d.Window(first, last)
				fmt.Fprintf(out, "rounds %s only\n", f.window)
			}
			invalid := 0
			for _, r := range rs {
				if !r.Valid {
					invalid++
				}
			}
			fmt.Fprintf(out, "recording %s: %d runs (%d marked invalid%s) of variants %v; K=%d rounds, extension %d, alpha %.3g\n\n",
				args[0], len(rs), invalid, map[bool]string{true: ", used anyway", false: fmt.Sprintf("; those less than %.0f%% behind kept, the others void their round", 100*th.BehindTolerance)}[f.inclInvalid],
				d.Variants(), th.Rounds, th.Extension, th.Alpha)
			report := map[string]any{"thresholds": th}
			noise := study.NoiseOf(d, th)
			fmt.Fprintln(out, "run-to-run spread (robust CV = 1.4826 MAD / median) of each variant's usable runs:")
			fmt.Fprintln(out)
			study.WriteNoise(out, noise)
			fmt.Fprintln(out)
			report["noise"] = noise
			var all []*study.Rates
			for _, mode := range f.modes {
				for _, ps := range f.pairs {
					p, err := parsePair(ps)
					if err != nil {
						return err
					}
					r, err := study.Analyze(d, p, study.Options{Thresholds: th, Mode: study.Mode(mode), Gates: f.gates, Seed: f.seed})
					if err != nil {
						fmt.Fprintf(e.streams.Err, "%s (%s): %v\n", p.Name, mode, err)
						continue
					}
					all = append(all, r)
				}
			}
			study.WriteRates(out, all)
			report["rates"] = all
			if f.mdePair != "" {
				p, err := parsePair("mde=" + f.mdePair)
				if err != nil {
					return err
				}
				curves, mdes := map[string][]study.MDEPoint{}, map[string]float64{}
				for _, m := range study.StudiedMetrics() {
					c, mde, err := study.MDE(d, p, m.Name, f.mdeGrid, f.mdeTarget,
						study.Options{Thresholds: th, Mode: study.Resample, Gates: f.mdeGates, Seed: f.seed})
					if err != nil {
						return err
					}
					curves[m.Name], mdes[m.Name] = c, mde
				}
				fmt.Fprintf(out, "\nminimum detectable effect (synthetic scale of one metric on the %s candidate, resampled gates: %d per point)\n\n", f.mdePair, f.mdeGates)
				study.WriteMDE(out, curves, mdes, f.mdeTarget)
				report["mde_curves"], report["mde"] = curves, mdes
			}
			if f.jsonOut != "" {
				return results.WriteJSON(f.jsonOut, report)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "scenario whose gate settings to use (default thresholds otherwise)")
	fl.StringArrayVar(&f.pairs, "pair", nil, "NAME=BASE:CANDIDATE variants to gate against each other (repeatable)")
	fl.StringSliceVar(&f.modes, "mode", []string{"disjoint", "resample"}, "how gates are formed: disjoint, resample")
	fl.IntVar(&f.gates, "gates", 1000, "resampled gates per pair")
	fl.IntVar(&f.rounds, "rounds", 0, "K (default: the scenario's)")
	fl.IntVar(&f.extension, "extension", 0, "rounds of the extension (default: the scenario's; -1 for none)")
	fl.StringVar(&f.mdePair, "mde-pair", "", "BASE:CANDIDATE A/A pair to scan synthetic effects on (empty: skip)")
	fl.Float64SliceVar(&f.mdeGrid, "mde-grid", []float64{0.01, 0.02, 0.03, 0.05, 0.07, 0.10, 0.15, 0.20, 0.30}, "synthetic effects to scan")
	fl.Float64Var(&f.mdeTarget, "mde-target", 0.8, "detection rate that defines the minimum detectable effect")
	fl.IntVar(&f.mdeGates, "mde-gates", 200, "resampled gates per MDE point")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the resampling")
	fl.StringVar(&f.jsonOut, "json", "", "also write everything as JSON here")
	fl.StringArrayVar(&f.set, "set", nil, "override a gate setting, KEY=VALUE (e.g. p99=-1 for report-only, reference=none), repeatable")
	fl.StringVar(&f.window, "window", "", "analyze rounds FIRST-LAST (or FIRST-) only: one stretch of machine conditions")
	fl.BoolVar(&f.inclInvalid, "include-invalid", false, "use runs marked invalid too (sensitivity analysis; the gate voids them)")
	return cmd
}

// studyThresholds are the scenario's gate settings with the flags'
// overrides: --rounds, --extension, and any --set KEY=VALUE of the gate
// section (e.g. --set p99=-1 to see the gate with p99 report-only).
func studyThresholds(f *studyFlags) (verdict.Thresholds, error) {
	g := map[string]any{}
	if f.file != "" {
		s, err := scenario.Load(f.file)
		if err != nil {
			return verdict.Thresholds{}, err
		}
		for k, v := range s.Gate {
			g[k] = v
		}
	}
	if f.rounds != 0 {
		g["rounds"] = f.rounds
	}
	if f.extension != 0 {
		g["extension"] = f.extension
	}
	for _, kv := range f.set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return verdict.Thresholds{}, usageError("--set %q: want KEY=VALUE", kv)
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			g[k] = v // a word (reference=app); the gate section's decoder checks it
			continue
		}
		g[k] = x
		if x == float64(int64(x)) && (k == "rounds" || k == "extension" || k == "rss_abs_bytes") {
			g[k] = int64(x)
		}
	}
	return verdict.Decode(g)
}

func parsePair(s string) (study.Pair, error) {
	name, rest, ok := strings.Cut(s, "=")
	b, c, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || name == "" || b == "" || c == "" {
		return study.Pair{}, usageError("--pair %q: want NAME=BASE:CANDIDATE", s)
	}
	return study.Pair{Name: name, Base: b, Cand: c}, nil
}
