package xdsconfig

import (
	"context"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// Resources is one complete, consistent set of xDS resources for one proxy.
// Values are treated as immutable once handed to an Applier.
type Resources struct {
	Version   string
	Listeners []*listenerv3.Listener
	Routes    []*routev3.RouteConfiguration
	Clusters  []*clusterv3.Cluster
	Endpoints []*endpointv3.ClusterLoadAssignment
	Secrets   []*tlsv3.Secret
}

// Applier accepts a new resource set. Apply returns an error when the set is
// rejected (the xDS client then NACKs); a rejecting Applier must keep serving
// its previous configuration. Apply may be called from any goroutine, but
// never concurrently with itself.
type Applier interface {
	Apply(ctx context.Context, r Resources) error
}

// Source delivers resource sets to an Applier until ctx is done. Run returns
// only when ctx ends or on an unrecoverable error; transient failures (a lost
// control plane) are retried inside Run with backoff while the Applier keeps
// its last good configuration.
type Source interface {
	Run(ctx context.Context, a Applier) error
}
