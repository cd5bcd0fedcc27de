package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports"
	"github.com/meshbench/meshbench/reports/published"
)

// renderReport renders the report at the end of `run` and `gate`, beside
// the result files it links.
func renderReport(ctx context.Context, e *env, res []*results.Result, cmp *results.Comparison, dir, title string) error {
	files := make([]string, len(res))
	for i, r := range res {
		files[i] = filepath.Join(dir, r.FileName())
	}
	pub, err := published.Default()
	if err != nil {
		e.log.Warn("published figures not loaded", "err", err)
	}
	out, err := reports.Render(ctx, reports.Input{Title: title, Results: res, ResultFiles: files, Comparison: cmp, Published: pub}, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.streams.Out, "\nreport: %s (Markdown summary: %s)\n", out.HTML, out.Markdown)
	return nil
}

// renderGateReport renders a gate's report: its comparison and the runs
// behind it (under dir/runs, linked from the report).
func renderGateReport(ctx context.Context, e *env, cmp *results.Comparison, dir, title string) error {
	res, files, err := reports.ReadResults(filepath.Join(dir, "runs"))
	if err != nil {
		e.log.Warn("gate runs not read for the report", "err", err)
		res, files = nil, nil
	}
	pub, err := published.Default()
	if err != nil {
		e.log.Warn("published figures not loaded", "err", err)
	}
	out, err := reports.Render(ctx, reports.Input{Title: title, Results: res, ResultFiles: files, Comparison: cmp,
		ComparisonFile: filepath.Join(dir, "comparison.json"), Published: pub}, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.streams.Out, "\nreport: %s (Markdown summary: %s)\n", out.HTML, out.Markdown)
	return nil
}
