package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// baseline show prints the run summary's rule: a lane without a valid run
// shows its count and why, no numbers and no overhead line.
func TestBaselineShowNoValidRun(t *testing.T) {
	dir := t.TempDir()
	src, store := filepath.Join(dir, "runs"), filepath.Join(dir, "store")
	for i, lane := range []string{"none", "nginx", "none", "nginx"} {
		r := &results.Result{Schema: results.Schema, Scenario: "s", Lane: lane, Case: results.Case{Name: "c"}, Order: i,
			Repetition: i/2 + 1, Requests: 1000, Valid: lane == "none", AchievedQPS: 1000,
			Environment: results.Environment{MachineID: "m1", GitRevision: "abc"},
			Latency:     results.Percentiles{P50: 0.111, P90: 0.222, P99: 0.333, P999: 0.444}}
		if !r.Valid {
			r.Errors, r.InvalidReasons = 1000, []string{"1000 errors in 1000 requests"}
		}
		_, err := results.Write(src, r)
		require.NoError(t, err)
	}
	code, _, errOut := runCLI("baseline", "save", "b", src, "--store", store)
	require.Equal(t, 0, code, errOut)
	code, out, errOut := runCLI("baseline", "show", "b", "--store", store)
	require.Equal(t, 0, code, errOut)
	var nginx []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "nginx") {
			nginx = append(nginx, line)
		}
	}
	require.Len(t, nginx, 2, out)
	assert.Contains(t, nginx[0], "0 (+2 invalid)")
	assert.NotContains(t, nginx[0], "0.111")
	assert.Contains(t, nginx[1], "2 invalid: 1000 errors in 1000 requests")
	assert.NotContains(t, out, "latency added over none")
}
