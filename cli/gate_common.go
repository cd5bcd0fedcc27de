package cli

import (
	"fmt"
	"path/filepath"

	"github.com/meshbench/meshbench/harness/gate/compare"
	"github.com/meshbench/meshbench/harness/results"
)

// The gate's commands register themselves here rather than in root.go, so
// their files can change without touching the shared root.

// Exit codes of gate and compare (docs/gate.md).
const (
	exitPass         = 0
	exitRegression   = 1
	exitInconclusive = 2
	exitUsage        = 3
)

// verdictExit maps a comparison's overall verdict to the process exit code:
// nil for PASS, an ExitError carrying 1 or 2 otherwise.
func verdictExit(c *results.Comparison) error {
	switch c.Verdict {
	case results.Pass:
		return nil
	case results.Fail:
		return &ExitError{Code: exitRegression, Err: fmt.Errorf("regression: verdict FAIL")}
	default:
		return &ExitError{Code: exitInconclusive, Err: fmt.Errorf("verdict %s: the evidence cannot tell a regression from noise", c.Verdict)}
	}
}

// emitComparison prints the table and writes the JSON next to the runs.
func emitComparison(e *env, c *results.Comparison, jsonPath string) error {
	if err := compare.WriteTable(e.streams.Out, c); err != nil {
		return err
	}
	if jsonPath != "" {
		if err := results.WriteJSON(jsonPath, c); err != nil {
			return fmt.Errorf("write comparison: %w", err)
		}
		abs, _ := filepath.Abs(jsonPath)
		fmt.Fprintf(e.streams.Err, "comparison written to %s\n", abs)
	}
	return nil
}
