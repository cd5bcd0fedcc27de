package plots

import (
	"image/color"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshbench/meshbench/harness/results"
)

// TestEveryMeshModeHasItsOwnColour: modes drawn side by side (mesh/both
// beside mesh/ingress) never share a colour, nor take a spare one.
func TestEveryMeshModeHasItsOwnColour(t *testing.T) {
	seen := map[color.RGBA]string{}
	for _, c := range spare {
		seen[c] = "spare"
	}
	l, ok := results.LookupLane(results.LaneMesh)
	assert.True(t, ok)
	for _, m := range l.Modes {
		label := results.LaneLabel(l.Name, m)
		key := laneColor(label)
		assert.Empty(t, seen[key], "%s shares its colour with %s", label, seen[key])
		seen[key] = label
	}
}
