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

// GraphHops is implemented by topologies whose graph services have
// sidecars that record a request duration histogram: where each edge's
// latency is recorded.
type GraphHops interface {
	// GraphHops returns nil when the lane has no sidecars.
	GraphHops() *HopMetrics
}

// HopMetrics says which histogram family the sidecars export, which of
// its labels hold the direction and the destination cluster, and where
// each graph edge is recorded.
type HopMetrics struct {
	Family, DirectionLabel, ClusterLabel string
	// Inbound and Outbound are the direction label's values.
	Inbound, Outbound string
	Hops              []GraphHop
}

// GraphHop says where one graph edge (From, To as the graph names them,
// split edges too) is recorded: by the caller's sidecars, outbound, and by
// the callee's, inbound.
type GraphHop struct {
	From, To       string
	Caller, Callee []HopSeries
}

// HopSeries is one proxy's part of an edge.
type HopSeries struct {
	MetricsURL string // the proxy's Prometheus text endpoint
	// Cluster is the destination cluster; empty means every series of the
	// direction (a callee's inbound side).
	Cluster string
}
