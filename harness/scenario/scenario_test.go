package scenario

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadRejectsBadInputNamingFileLineAndField(t *testing.T) {
	tests := []struct {
		file  string
		line  int
		field string
		msg   string
	}{
		{"unknown-field.yaml", 7, "conections", "not found"},
		{"bad-connections.yaml", 7, "matrix.connections[1]", "outside 1..4096"},
		{"bad-lane.yaml", 5, "lanes[1]", `unknown lane "envoy"`},
		{"bad-duration.yaml", 4, "", "invalid duration"},
		{"bad-kind.yaml", 2, "kind", `"synthetc" is not one of`},
		{"not-yaml.yaml", 0, "", ""},
		{"bad-graph.yaml", 11, "graph.services[1].calls[0]", `unknown service "nowhere"`},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			_, err := Load(path)
			require.Error(t, err)
			var se *Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, path, se.File)
			assert.Contains(t, err.Error(), path)
			if tc.line > 0 {
				assert.Equal(t, tc.line, se.Line, err.Error())
			}
			if tc.field != "" {
				assert.Equal(t, tc.field, se.Field, err.Error())
				assert.Contains(t, err.Error(), "field "+tc.field)
			}
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestShippedScenariosLoad(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
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
