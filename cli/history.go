package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/gate/history"
	"github.com/meshbench/meshbench/harness/results"
)

const defaultHistoryFile = "baselines/history/main.jsonl"

func newHistoryCmd(e *env) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "history add|report",
		Short: "Keep main-branch results over time and report change points (E-Divisive means; reported, not gated)",
		Example: `  # after every main-branch run
  meshbench history add results/quick-20261124-2010
  meshbench history report`,
	}
	cmd.PersistentFlags().StringVar(&file, "file", defaultHistoryFile, "history file (JSON lines)")

	var rev string
	add := &cobra.Command{
		Use:     "add DIR...",
		Short:   "Append the medians of the results under DIR to the history",
		Example: `  meshbench history add results/quick-20261124-2010`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			rs, err := results.ReadAll(args...)
			if err != nil {
				return err
			}
			pts, err := history.PointsFrom(rs, rev)
			if err != nil {
				return err
			}
			if err := history.Append(file, pts, func(w string) { fmt.Fprintln(e.streams.Err, "warning:", w) }); err != nil {
				return err
			}
			fmt.Fprintf(e.streams.Out, "appended %d points (%d runs, revision %s) to %s\n", len(pts), len(rs), shortRev(pts[0].Revision), file)
			return nil
		},
	}
	add.Flags().StringVar(&rev, "rev", "", "git revision to record (default: the results')")

	var o history.Options
	var maxPoints int
	report := &cobra.Command{
		Use:     "report",
		Short:   "Report change points in every series of the history",
		Example: `  meshbench history report --file baselines/history/main.jsonl --p 0.001`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			series, err := history.Load(file, func(w string) { fmt.Fprintln(e.streams.Err, "warning:", w) })
			if err != nil {
				return err
			}
			return history.WriteReport(e.streams.Out, history.Detect(series, o, maxPoints), len(series))
		},
	}
	report.Flags().Float64Var(&o.PValue, "p", 0.001, "significance of the permutation test")
	report.Flags().IntVar(&o.Permutations, "permutations", 0, "permutations (default: the fewest that can reach --p)")
	report.Flags().IntVar(&maxPoints, "max-points", 500, "analyze only the newest points of each series")
	report.Flags().Uint64Var(&o.Seed, "seed", 1, "seed of the permutations")
	cmd.AddCommand(add, report)
	return cmd
}
