// Package registry provides the control plane's service registries: a
// mesh file watched on disk (the local platform) and Kubernetes Services,
// EndpointSlices and Pods watched through client-go informers (kind and
// existing clusters).
//
// A Source reports changes through a callback and hands out immutable
// snapshots; the controller merges sources and translates.
package registry

import (
	"context"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// Source is one service registry. Snapshot is safe for concurrent use and
// returns values the caller must not modify. Run watches until ctx ends,
// calling changed (from Run's goroutine) after every change; it returns
// ctx's error, or an error when the source cannot start.
type Source interface {
	Name() string
	Snapshot() Snapshot
	Run(ctx context.Context, changed func()) error
}

// Syncer is a Source that takes a while to learn its first view (the
// Kubernetes informers' initial list): Synced is closed once its Snapshot
// holds it. The controller builds no configuration before that.
type Syncer interface {
	Synced() <-chan struct{}
}

// Snapshot is what a source currently knows. Sources that only know
// services leave Proxies empty and Policy nil.
type Snapshot struct {
	Services []meshconfig.Service
	Proxies  []meshconfig.Proxy
	Policy   *meshconfig.Policy
	// Revision is the source's revision, if it has one (the mesh file's).
	Revision int64
	// TrustDomain, when set, overrides the default.
	TrustDomain string
	// Credentials are gateway certificates served over SDS (from the
	// source that has proxies: the mesh file or the policy ConfigMap).
	Credentials []meshconfig.Credential
	// Telemetry is the mesh file's telemetry section (span export).
	Telemetry *meshconfig.Telemetry
}
