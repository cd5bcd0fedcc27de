package local

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/resilience"
	"github.com/meshbench/meshbench/internal/faultdocs"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// TestDocsLocalColumn: what docs/reliability.md's fault table on kind says
// of the local platform (its middle column) holds: a row whose local cell
// begins "unsupported" is refused by the local mesh topology in modes
// both and clientonly, any other is supported in at least one (set up as
// a scenario with that fault sets it up: cli).
func TestDocsLocalColumn(t *testing.T) {
	rows, err := faultdocs.Read("../../../docs/reliability.md")
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, row := range rows {
		unsupported := strings.HasPrefix(row.Local, "unsupported")
		for _, k := range row.Kinds {
			seen[k] = true
			for _, target := range row.Targets {
				supported := false
				for _, mode := range []string{platform.ModeBoth, platform.ModeClientOnly} {
					top := &topology{spec: platform.Spec{Lane: platform.LaneMesh, Mode: mode,
						Mesh: platform.MeshOptions{AppGracefulStop: k == resilience.KindRestart}},
						mesh: &meshLane{cfg: &meshconfig.Mesh{}}}
					supported = supported || top.Supports(k, target) == nil
				}
				assert.Equal(t, !unsupported, supported, "docs row %q, local column %q: %s %s", row.Head, row.Local, k, target)
			}
		}
	}
	assert.True(t, seen[resilience.KindRestart], "the table has a row for restart")
}
