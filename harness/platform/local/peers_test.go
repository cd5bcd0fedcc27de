package local

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// TestPeerLanesUnavailableLocally: istio and linkerd are installed on
// clusters only; locally they are unavailable (a reason, never numbers)
// before anything starts.
func TestPeerLanesUnavailableLocally(t *testing.T) {
	p := New(platform.Binaries{})
	for _, lane := range []string{results.LaneIstio, results.LaneLinkerd} {
		_, err := p.Up(t.Context(), platform.Spec{Lane: lane, Case: results.Case{Protocol: "http1", MTLS: true}})
		require.ErrorIs(t, err, platform.ErrLaneUnavailable, lane)
		assert.Contains(t, err.Error(), "kind and kube clusters only")
	}
}
