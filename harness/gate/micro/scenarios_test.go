package micro_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/gate/micro"
	"github.com/meshbench/meshbench/harness/gate/verdict"
	"github.com/meshbench/meshbench/harness/scenario"
)

// Every shipped micro scenario must load, and its micro and gate sections
// must decode strictly.
func TestShippedMicroScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "scenarios", "micro", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := scenario.Load(f)
			require.NoError(t, err)
			assert.Equal(t, scenario.KindMicro, s.Kind)
			spec, err := micro.DecodeSpec(s.Micro)
			require.NoError(t, err)
			assert.NotEmpty(t, spec.Packages)
			_, err = verdict.Decode(s.Gate)
			require.NoError(t, err)
		})
	}
}
