package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// TestLoadClientsOnLocalPlatform: load.clients: 2 runs two load client
// processes at once, each at half the rate on half the connections; the
// result is their merged report (every slot of both schedules accounted
// for, one histogram of all requests) and names both clients' costs.
func TestLoadClientsOnLocalPlatform(t *testing.T) {
	res, _ := runLocal(t, `
name: clients
kind: app
lanes: [none, mesh]
warmup: 300ms
duration: 1s
matrix: {qps: [200], connections: [4], payload_bytes: [0]}
load: {clients: 2}
graph:
  services:
    - {name: a, calls: [b]}
    - {name: b}
`)
	require.Len(t, res, 2)
	for _, r := range res {
		assert.Equal(t, 2, r.LoadClients, r.Key())
		var names []string
		for _, c := range r.Components {
			if c.Role == results.RoleLoadgen {
				names = append(names, c.Name)
				assert.Greater(t, c.CPUSeconds, 0.0, "%s: %s did work", r.Key(), c.Name)
			}
		}
		assert.ElementsMatch(t, []string{"loadgen-0", "loadgen-1"}, names, r.Key())
		assert.Zero(t, r.Errors, "%v", r.ErrorsByStatus)
		assert.Equal(t, r.Requests, r.Histogram.Count, "one histogram of both clients' requests")
		require.NotNil(t, r.Schedule)
		assert.Equal(t, r.Schedule.Slots, r.Requests+r.Schedule.NotSent, "every slot of both schedules sent or charged")
		assert.LessOrEqual(t, r.Schedule.Slots, int64(204), "two schedules of 100 rps for 1 s")
		assert.Greater(t, r.Requests, int64(100), "more than one client's half went out")
		assertNoGraphReason(t, r)
	}
}
