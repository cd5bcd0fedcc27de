package scenario

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShippedScenariosLoad: every scenario under scenarios/, at any depth,
// loads (its gate, controlplane and micro sections included) under every
// profile it declares. Folders named graphs hold service-graph topologies
// (isotope files), not scenarios: `meshbench graph check` tests them.
func TestShippedScenariosLoad(t *testing.T) {
	var files []string
	err := filepath.WalkDir("../../scenarios", func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "graphs" {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return err
	})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 7)
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, "../../"), func(t *testing.T) {
			s, err := Load(f)
			require.NoError(t, err)
			for name := range s.Profiles {
				c, err := Load(f)
				require.NoError(t, err)
				require.NoError(t, c.ApplyProfile(name))
			}
		})
	}
}

func TestDefaultsAndProfile(t *testing.T) {
	s, err := Parse("x.yaml", []byte("name: x\nlanes: [mesh]\nduration: 10s\nprofiles:\n  short: {duration: 2s, repetitions: 2}\n"))
	require.NoError(t, err)
	assert.Equal(t, KindSynthetic, s.Kind)
	assert.Equal(t, []string{"mesh/both"}, s.Lanes)
	assert.Equal(t, []float64{1000}, s.Matrix.QPS)
	assert.True(t, s.Mesh.TelemetryOn())
	require.NoError(t, s.ApplyProfile("short"))
	assert.Equal(t, 2*time.Second, s.Duration.Duration)
	assert.Equal(t, 2, s.Repetitions)
	err = s.ApplyProfile("long")
	require.ErrorContains(t, err, `--profile "long"`)
}
