package history

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func point(i int) Point {
	return Point{Time: time.Date(2026, 11, 1, i, 0, 0, 0, time.UTC), Revision: "r", Scenario: "s", Group: "g", Metric: "m", Value: float64(i), N: 3}
}

func TestLinesAreVersioned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.jsonl")
	require.NoError(t, Append(path, []Point{point(1)}, nil))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"schema":"`+Schema+`"`)

	// A line from before versioning reads as v1; an unknown version is an
	// error naming the file and line.
	legacy := `{"time":"2026-11-01T05:00:00Z","revision":"old","scenario":"s","group":"g","metric":"m","value":5,"n":3}` + "\n"
	require.NoError(t, os.WriteFile(path, append(data, legacy...), 0o644))
	series, err := Load(path, nil)
	require.NoError(t, err)
	require.Len(t, series["s | g | m"], 2)
	assert.Equal(t, Schema, series["s | g | m"][1].Schema)

	future := strings.Replace(legacy, `{"time"`, `{"schema":"meshbench.history-point/v9","time"`, 1)
	require.NoError(t, os.WriteFile(path, append(data, future...), 0o644))
	_, err = Load(path, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+" line 2")
	assert.Contains(t, err.Error(), "meshbench.history-point/v9")
}

func TestTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.jsonl")
	require.NoError(t, Append(path, []Point{point(1), point(2)}, nil))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"schema":"` + Schema + `","time":"2026-11-01T0`) // a crash mid-append
	require.NoError(t, err)
	require.NoError(t, f.Close())

	var warnings []string
	warn := func(w string) { warnings = append(warnings, w) }
	series, err := Load(path, warn)
	require.NoError(t, err, "a torn last line is skipped, not an error")
	assert.Len(t, series["s | g | m"], 2)
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0], path+" line 3: skipped a torn last line")

	// The next append cuts the torn line off first, so it never becomes a
	// broken line in the middle.
	warnings = nil
	require.NoError(t, Append(path, []Point{point(3)}, warn))
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0], "cut a torn last line")
	warnings = nil
	series, err = Load(path, warn)
	require.NoError(t, err)
	assert.Len(t, series["s | g | m"], 3)
	assert.Empty(t, warnings)

	// A broken line that is not the last is an error naming file and line.
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append([]byte("{broken\n"), data...), 0o644))
	_, err = Load(path, warn)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+" line 1")
}
