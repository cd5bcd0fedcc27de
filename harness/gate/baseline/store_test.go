package baseline

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

func writeRuns(t *testing.T, dir string, n int, rev string) {
	t.Helper()
	for i := range n {
		r := &results.Result{Schema: results.Schema, Scenario: "quick", Lane: "mesh", Mode: "both",
			Case: results.Case{Name: "c1"}, Order: i, Repetition: i, Valid: true,
			Environment: results.Environment{CPUModel: "cpu", Cores: 2, MachineID: "m1", GitRevision: rev}}
		_, err := results.Write(dir, r)
		require.NoError(t, err)
	}
}

func TestSaveListShowLoad(t *testing.T) {
	src := t.TempDir()
	writeRuns(t, src, 3, "abc123")
	s := &Store{Root: filepath.Join(t.TempDir(), "store"), Now: func() time.Time { return time.Unix(1e9, 0) }}

	m, err := s.Save("main-2026-11-24", src, SaveOptions{Note: "first"})
	require.NoError(t, err)
	assert.Equal(t, 3, m.Runs)
	assert.Equal(t, []string{"abc123"}, m.GitRevisions)
	assert.Equal(t, []string{"m1"}, m.MachineIDs)
	assert.Equal(t, "cpu", m.Environment.CPUModel)

	list, err := s.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "first", list[0].Note)

	rs, err := s.Load("main-2026-11-24")
	require.NoError(t, err)
	assert.Len(t, rs, 3)

	rs, err = s.Resolve("main-2026-11-24")
	require.NoError(t, err)
	assert.Len(t, rs, 3)
	rs, err = s.Resolve(src)
	require.NoError(t, err)
	assert.Len(t, rs, 3)
	_, err = s.Resolve("nope")
	assert.ErrorContains(t, err, "neither a directory")
}

func TestSaveIsImmutableUnlessForced(t *testing.T) {
	src := t.TempDir()
	writeRuns(t, src, 2, "r1")
	s := &Store{Root: t.TempDir()}
	_, err := s.Save("b", src, SaveOptions{})
	require.NoError(t, err)

	src2 := t.TempDir()
	writeRuns(t, src2, 4, "r2")
	_, err = s.Save("b", src2, SaveOptions{})
	require.ErrorIs(t, err, ErrExists)
	rs, err := s.Load("b")
	require.NoError(t, err)
	assert.Len(t, rs, 2, "a refused save leaves the baseline alone")

	m, err := s.Save("b", src2, SaveOptions{Force: true})
	require.NoError(t, err)
	assert.True(t, m.Replaced)
	rs, err = s.Load("b")
	require.NoError(t, err)
	assert.Len(t, rs, 4)
	entries, err := os.ReadDir(s.Root)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary or replaced directories left behind")
}

func TestLoadDetectsTampering(t *testing.T) {
	src := t.TempDir()
	writeRuns(t, src, 1, "r1")
	s := &Store{Root: t.TempDir()}
	m, err := s.Save("b", src, SaveOptions{})
	require.NoError(t, err)
	for file := range m.Files {
		p := filepath.Join(s.Root, "b", "results", file)
		require.NoError(t, os.Chmod(p, 0o644))
		require.NoError(t, os.WriteFile(p, []byte(`{"schema":"meshbench.result/v1"}`), 0o644))
	}
	_, err = s.Load("b")
	assert.ErrorContains(t, err, "modified after it was saved")
}

func TestSaveRejectsBadInput(t *testing.T) {
	s := &Store{Root: t.TempDir()}
	_, err := s.Save("../escape", t.TempDir(), SaveOptions{})
	assert.Error(t, err)
	_, err = s.Save("empty", t.TempDir(), SaveOptions{})
	assert.ErrorContains(t, err, "no meshbench results")
	_, err = s.Manifest("missing")
	assert.ErrorIs(t, err, ErrNotFound)
}
