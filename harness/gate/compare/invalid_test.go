package compare

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/gate/verdict"
	catalog "github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/results"
)

// A group without a valid run on a side is named with its count and
// reasons, and contributes no rows but its error rate (the rule of the
// summary and report; failed runs are evidence against their side).
func TestCompareNamesGroupsWithoutValidRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	base, cand := runs(rng, 6, "base", 1, 1), runs(rng, 6, "candidate", 1, 1)
	for _, side := range [][]*results.Result{runs(rng, 2, "base", 1, 1), runs(rng, 2, "candidate", 1, 1)} {
		for _, r := range side {
			r.Lane, r.Mode, r.Valid, r.InvalidReasons = "nginx", "", false, []string{"8000 errors in 8000 requests"}
		}
		if side[0].Labels["build"] == "base" {
			base = append(base, side...)
		} else {
			cand = append(cand, side...)
		}
	}
	c, err := Compare(base, cand, Options{Thresholds: verdict.Thresholds{Rounds: 5}})
	require.NoError(t, err)
	assert.Contains(t, c.Notes, "group nginx c1 has no valid run to compare (base 2 invalid: 8000 errors in 8000 requests; candidate 2 invalid: 8000 errors in 8000 requests)")
	for _, m := range c.Metrics {
		if m.Group == "nginx c1" {
			assert.Equal(t, catalog.ErrorRate().Name, m.Metric, "a group without a valid run has only its error rate")
		}
	}
}

// The comparison's rows are the metric catalog's compared metrics that the
// runs have, in the catalog's order (plus the gate's own error rate).
func TestRowsComeFromTheCatalog(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	base, cand := runs(rng, 6, "base", 1, 1), runs(rng, 6, "candidate", 1, 1)
	c, err := Compare(base, cand, Options{Thresholds: verdict.Thresholds{Rounds: 5}})
	require.NoError(t, err)
	var want, got []string
	for _, m := range catalog.Compared(rolesOf(base)) {
		if len(values(base, m)) > 0 {
			want = append(want, m.Name)
		}
	}
	for _, m := range c.Metrics {
		if m.Metric != catalog.ErrorRate().Name {
			got = append(got, m.Metric)
		}
	}
	assert.Equal(t, want, got)
	assert.Contains(t, got, "cpu_us_per_request/proxies")
}
