package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// TestGateReportLinksItsRuns renders a gate's report from a comparison and
// the runs under OUT/runs, as `meshbench gate` does.
func TestGateReportLinksItsRuns(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "reports", "testdata", "local")
	rs, err := results.ReadAll(src)
	require.NoError(t, err)
	require.NotEmpty(t, rs)
	for _, r := range rs[:4] {
		_, err := results.Write(filepath.Join(dir, "runs"), r)
		require.NoError(t, err)
	}
	cmp, err := results.ReadComparison(filepath.Join("..", "reports", "testdata", "synthetic", "comparison.json"))
	require.NoError(t, err)

	var out bytes.Buffer
	e := &env{streams: Streams{Out: &out, Err: io.Discard}, log: slog.New(slog.DiscardHandler)}
	require.NoError(t, renderGateReport(context.Background(), e, cmp, dir, "gate"))
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), `href="runs/`, "the report links the gate's runs")
	assert.Contains(t, out.String(), "report.html")
}
