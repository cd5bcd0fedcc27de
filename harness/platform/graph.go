package platform

import (
	"context"

	"github.com/meshbench/meshbench/harness/graph"
)

// GraphStats is implemented by topologies that run a service graph.
type GraphStats interface {
	// GraphStats returns each service's counters (requests received, calls
	// made per callee) since the topology came up. Call it when no load
	// is running, so that no request is in flight.
	GraphStats(ctx context.Context) (map[string]graph.Stats, error)
}
