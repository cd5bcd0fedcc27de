// Package upstream is a cluster as the data path sees it: its endpoints
// (lb.Host state plus a keep-alive connection pool each), the picker, the
// circuit breakers, outlier detection, and how to dial an endpoint (plain
// TCP or mTLS). It also owns the HTTP/2 transport used for h2 and gRPC
// upstream traffic.
//
// Endpoints (host state and pools) are shared between configuration
// snapshots via a Registry, so a config push does not drop warm
// connections or forget ejections. Everything is safe for concurrent use.
package upstream
