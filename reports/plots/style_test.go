package plots

import (
	"image/color"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshbench/meshbench/harness/results"
)

// TestEveryMeshModeHasItsOwnColour: modes drawn side by side (mesh/both
// beside mesh/ingress, the ingress lanes of the mesh, HAProxy and nginx
// beside each other and none) never share a colour, nor take a spare one.
func TestEveryMeshModeHasItsOwnColour(t *testing.T) {
	seen := map[color.RGBA]string{}
	for _, c := range spare {
		seen[c] = "spare"
	}
	labels := []string{results.LaneNone}
	for _, name := range []string{results.LaneMesh, results.LaneHAProxy, results.LaneNginx} {
		l, ok := results.LookupLane(name)
		assert.True(t, ok)
		if l.DefaultMode == "" {
			labels = append(labels, l.Name) // the bare name is a mode of its own
		}
		for _, m := range l.Modes {
			labels = append(labels, results.LaneLabel(l.Name, m))
		}
	}
	for _, label := range labels {
		key := laneColor(label)
		assert.Empty(t, seen[key], "%s shares its colour with %s", label, seen[key])
		seen[key] = label
	}
}
