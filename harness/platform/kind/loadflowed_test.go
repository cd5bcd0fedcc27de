package kind_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshbench/meshbench/harness/results"
)

// assertLoadFlowed checks that load reached the lane and that the run
// tells the truth about how much: a run that sent at least 80% of its
// scheduled requests passes as it is, and one that sent fewer must be
// marked invalid because the load generator fell behind. These tests are
// about the platform (pods, nodes, merged histograms), not about the
// machine's speed: on a busy CI host the load client pods can lag, and
// then the harness must say so instead of reporting a number.
func assertLoadFlowed(t *testing.T, lane string, r *results.Result, scheduled int64) {
	t.Helper()
	if !assert.Positive(t, r.Requests, "%s: no request reached the lane", lane) {
		return
	}
	if r.Requests*5 >= scheduled*4 {
		return
	}
	t.Logf("%s: %d of %d scheduled requests sent (a busy machine); the run must be marked invalid", lane, r.Requests, scheduled)
	assert.False(t, r.Valid, "%s: only %d of %d scheduled requests sent, yet the run is valid", lane, r.Requests, scheduled)
	assert.True(t, hasReason(r.InvalidReasons, "load generator fell behind"),
		"%s: %d of %d requests sent, invalid for %q instead of the load generator falling behind", lane, r.Requests, scheduled, r.InvalidReasons)
}

func hasReason(reasons []string, prefix string) bool {
	for _, r := range reasons {
		if strings.HasPrefix(r, prefix) {
			return true
		}
	}
	return false
}
