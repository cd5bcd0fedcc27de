package cli

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateHistoryFixture = flag.Bool("update-history", false, "rewrite reports/testdata/synthetic/history.json from history.jsonl")

const (
	historyJSONL = "../reports/testdata/synthetic/history.jsonl"
	historyDoc   = "../reports/testdata/synthetic/history.json"
)

func TestLoadHistoryFromTheGatesJSONL(t *testing.T) {
	h, err := loadHistory(historyJSONL)
	require.NoError(t, err)
	require.NotEmpty(t, h.Trends)
	// The fixture made the proxies 9% slower from the 25th commit (index 24).
	found := false
	for _, tr := range h.Trends {
		if tr.Metric == "cpu_us_per_request/proxies" {
			found = true
			assert.Equal(t, []int{24}, tr.ChangePoints)
			assert.Equal(t, "µs CPU / request", tr.Unit)
			assert.Len(t, tr.Points, 36)
		}
		if strings.HasPrefix(tr.Metric, "rss_bytes") {
			assert.Equal(t, "MiB", tr.Unit)
			assert.Less(t, tr.Points[0].Value, 1024.0, "bytes shown as MiB")
		}
	}
	assert.True(t, found)
	assert.NotEmpty(t, h.Trends[0].ChangePoints, "trends with change points come first")

	// The reports' fixture is this conversion, stored: the report tests
	// render exactly what `meshbench report --history` hands them.
	got, err := json.MarshalIndent(h, "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	if *updateHistoryFixture {
		require.NoError(t, os.WriteFile(historyDoc, got, 0o644))
	}
	want, err := os.ReadFile(historyDoc)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got), "run go test ./cli -run TestLoadHistory -update-history")

	doc, err := loadHistory(historyDoc)
	require.NoError(t, err)
	assert.Equal(t, h.Trends, doc.Trends, "a History document is read as it is")
}
