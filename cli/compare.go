package cli

import (
	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/gate/baseline"
	"github.com/meshbench/meshbench/harness/gate/compare"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/results"
)

type compareFlags struct {
	store, file, jsonOut string
	allowCrossMachine    bool
}

func newCompareCmd(e *env) *cobra.Command {
	f := &compareFlags{}
	cmd := &cobra.Command{
		Use:   "compare BASE CANDIDATE | compare GATE-DIR",
		Short: "Compare two stored result sets (directories or baseline names) with the gate's statistics",
		Long: `compare judges CANDIDATE against BASE, each a directory of results or the name of
a saved baseline, with the gate's rule (one-sided exact U, Holm, Hodges-Lehmann
against thresholds). With one directory, it re-judges a gate's runs split by their
build=base|candidate labels. A directory or file may also hold fortio JSON
results (fortio's -json output, Nighthawk's fortio format): lane "fortio"
(docs/export.md). Results from different machines are refused unless
--allow-cross-machine: absolute numbers from two machines say nothing about code.

Exit codes: 0 PASS, 1 FAIL, 2 INCONCLUSIVE, 3 usage or run error.`,
		Example: `  meshbench compare main-2026-11-24 results/quick-20261124-2010
  meshbench compare results/gate-quick-20261124-2100 --json out/comparison.json`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			th := verdict.Thresholds{}
			if f.file != "" {
				_, t, err := loadGateScenario(f.file, "", 0, 0)
				if err != nil {
					return err
				}
				th = t
			}
			store := &baseline.Store{Root: f.store}
			var base, cand []*results.Result
			labels := args
			if len(args) == 1 {
				rs, err := resolveResults(store, args[0])
				if err != nil {
					return err
				}
				split := compare.SplitByLabel(rs, "build")
				base, cand = split["base"], split["candidate"]
				labels = []string{args[0] + " (base)", args[0] + " (candidate)"}
				if len(base) == 0 || len(cand) == 0 {
					return usageError("%s: no runs labeled build=base and build=candidate; give BASE and CANDIDATE", args[0])
				}
			} else {
				var err error
				if base, err = resolveResults(store, args[0]); err != nil {
					return err
				}
				if cand, err = resolveResults(store, args[1]); err != nil {
					return err
				}
			}
			c, err := compare.Compare(base, cand, compare.Options{BaseLabel: labels[0], CandidateLabel: labels[1],
				Thresholds: th, AllowCrossMachine: f.allowCrossMachine})
			if err != nil {
				return err
			}
			if err := emitComparison(e, c, f.jsonOut); err != nil {
				return err
			}
			return verdictExit(c)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.store, "store", defaultBaselineStore, "baseline store directory")
	fl.StringVarP(&f.file, "file", "f", "", "scenario whose gate thresholds to use (default thresholds otherwise)")
	fl.StringVar(&f.jsonOut, "json", "", "also write the comparison as JSON to this file")
	fl.BoolVar(&f.allowCrossMachine, "allow-cross-machine", false, "compare results from different machines anyway")
	return cmd
}
