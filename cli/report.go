package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports"
	"github.com/meshbench/meshbench/reports/published"
)

type reportFlags struct {
	out, comparison, history, published, title string
}

func newReportCmd(e *env) *cobra.Command {
	f := &reportFlags{}
	cmd := &cobra.Command{
		Use:   "report RESULTS... -o DIR",
		Short: "Render results as an HTML report, PNG plots and a Markdown summary",
		Long: `report reads result files (or directories of them) and writes DIR/report.html
(self-contained: plots embedded, nothing fetched from the network), one PNG per
plot, and DIR/summary.md for a GitHub job summary or pull-request comment.`,
		Example: `  meshbench report results/quick-20261124 -o out/report
  meshbench report base/ cand/ --comparison out/comparison.json --history history.jsonl -o out/report
  cat out/report/summary.md >> "$GITHUB_STEP_SUMMARY"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, files, err := reports.ReadResults(args...)
			if err != nil {
				return fmt.Errorf("read results: %w", err)
			}
			in := reports.Input{Title: f.title, Results: rs, ResultFiles: files, ComparisonFile: f.comparison}
			if f.comparison != "" {
				if in.Comparison, err = results.ReadComparison(f.comparison); err != nil {
					return fmt.Errorf("read comparison: %w", err)
				}
			}
			if f.history != "" {
				if in.History, err = loadHistory(f.history); err != nil {
					return err
				}
			}
			if f.published != "" {
				in.Published, err = published.LoadDir(f.published)
			} else {
				in.Published, err = published.Default()
			}
			if err != nil {
				return fmt.Errorf("published figures: %w", err)
			}
			out, err := reports.Render(cmd.Context(), in, f.out)
			if err != nil {
				return err
			}
			e.log.Info("report written", "html", out.HTML, "markdown", out.Markdown, "plots", len(out.PNGs),
				"omitted", len(out.Omitted), "results", len(rs), "verdict", out.Verdict)
			fmt.Fprintln(e.streams.Out, out.HTML)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "out", "o", "report", "output `DIR`")
	fl.StringVar(&f.comparison, "comparison", "", "comparison JSON `FILE` written by meshbench compare or gate")
	fl.StringVar(&f.history, "history", "", "history `FILE`: the gate's JSONL history, or a meshbench.history/v1 JSON document")
	fl.StringVar(&f.published, "published", "", "`DIR` of published-figure YAML (default: the copy built into meshbench)")
	fl.StringVar(&f.title, "title", "", "report `TITLE` (default: from the scenario)")
	return cmd
}
