// Command peers generates the pinned Istio and Linkerd install manifests the
// kind and kube platforms apply for the istio and linkerd lanes: each peer's
// own Helm charts, taken from its source module at the version pinned in
// harness/peers (downloaded through the Go module proxy with `go mod
// download`, or read from a checkout given with -istio-src / -linkerd-src),
// rendered with Helm's engine, then checked with peers.Parse exactly as the
// platforms will load them. `make peer-manifests` runs it; a manifest already
// generated at the pinned version is kept.
//
// It is a module of its own so that Helm and the peers' sources never enter
// the project's go.mod.
package main
