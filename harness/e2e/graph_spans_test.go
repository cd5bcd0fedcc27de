package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// graphSpansScenario is a three-service graph whose mesh traces every
// request: front calls a and b, a calls b, so one request is 4 calls (the
// load's included), each a CLIENT span at the caller's sidecar and a SERVER
// span at the callee's: 8 spans in one tree per trace, the apps carrying
// the trace context across each hop.
const graphSpansScenario = `
name: graph-spans
kind: app
lanes: [none, mesh]
warmup: 300ms
duration: 1500ms
matrix: {qps: [100], connections: [4], payload_bytes: [0], mtls: [true], telemetry: [tracing-100]}
graph:
  services:
    - {name: front, calls: [a, b]}
    - {name: a, calls: [b]}
    - {name: b}
`

// TestGraphSpansAcrossHops runs the scenario file with meshbench run on the
// local platform (real graph apps, sidecars configured by meshcontrol, the
// harness's OTLP receiver) and checks what the mesh run records and the
// report shows: every trace complete (8 spans, one root), no broken
// parent/child link across the hops, the trace count within the bounds of
// 100% sampling; the none lane carries no span check.
func TestGraphSpansAcrossHops(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "graph-spans.yaml")
	require.NoError(t, os.WriteFile(file, []byte(graphSpansScenario), 0o644))
	out := filepath.Join(dir, "out")
	meshbenchRun(t, "run", "-f", file, "-o", out)
	rs, err := results.ReadAll(out)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	for _, r := range rs {
		assert.Zero(t, r.Errors, "%s: %v", r.Key(), r.ErrorsByStatus)
		if r.Lane == results.LaneNone {
			assert.Nil(t, r.Spans, "no mesh, no spans")
			continue
		}
		require.NotNil(t, r.Spans, "the mesh traced: the harness received its spans")
		s := *r.Spans
		assert.Equal(t, 8, s.SpansPerTrace)
		assert.Positive(t, s.Traces)
		assert.Equal(t, s.Traces, s.Complete, "%+v", s)
		assert.Equal(t, 8*s.Traces, s.Spans, "%+v", s)
		assert.Zero(t, s.BrokenLinks, "%+v", s)
		assert.Zero(t, s.BadRoots, "%+v", s)
		assert.True(t, s.WithinBounds, "%+v", s)
		assert.Empty(t, s.Problems)
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	require.NoError(t, err)
	assert.Regexp(t, "`tracing-100` .*ok: \\d+ traces \\(expected \\d+ at 100%\\), \\d+ spans, \\d+ complete, 0 broken links; 1/1 runs within bounds", string(md))
}

// meshbenchRun runs the built meshbench with args and requires exit 0,
// showing its output when it fails.
func meshbenchRun(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "meshbench"), args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
}
