package scenario

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGraphFromIsotopeFileRelativeToScenario(t *testing.T) {
	s, err := Load(filepath.Join("testdata", "isotope", "app.yaml"))
	require.NoError(t, err)
	require.NotNil(t, s.Graph)
	assert.Equal(t, "chain.yaml", s.Graph.Isotope)
	assert.Equal(t, "a", s.Graph.Entry)
	require.Len(t, s.Graph.Services, 2)
	assert.Equal(t, []string{"b"}, s.Graph.Services[0].Callees())
	require.Len(t, s.Graph.Warnings, 1)
	assert.Contains(t, s.Graph.Warnings[0], `chain.yaml:6: services[1]: key "unknownKey" is ignored`)
}

func TestGraphIsotopeErrors(t *testing.T) {
	tests := []struct {
		file string
		line int
		msg  string
	}{
		{"bad-topology.yaml", 6, `broken.yaml:3: services[0].script: cannot call undefined service "nowhere"`},
		{"both.yaml", 6, "give one or the other"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "isotope", tc.file)
			_, err := Load(path)
			var se *Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.line, se.Line, err.Error())
			assert.Equal(t, "graph.isotope", se.Field)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}
