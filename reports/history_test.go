package reports_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/reports"
)

func TestLoadHistoryDocument(t *testing.T) {
	dir := t.TempDir()
	good := `{"schema":"meshbench.history/v1","trends":[{"group":"g","metric":"m","unit":"ms","points":[
	{"time":"2026-11-01T00:00:00Z","revision":"a","value":1},{"time":"2026-11-02T00:00:00Z","revision":"b","value":2}],"change_points":[1]}]}`
	bad := strings.Replace(good, `"change_points":[1]`, `"change_points":[5]`, 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "good.json"), []byte(good), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.json"), []byte(bad), 0o644))

	h, err := reports.LoadHistory(filepath.Join(dir, "good.json"))
	require.NoError(t, err)
	require.Len(t, h.Trends, 1)
	assert.Equal(t, []int{1}, h.Trends[0].ChangePoints)

	_, err = reports.LoadHistory(filepath.Join(dir, "bad.json"))
	require.ErrorContains(t, err, "change point 5 outside 2 points")
	_, err = reports.LoadHistory(filepath.Join(dir, "missing.json"))
	require.Error(t, err)
}
