// Package controlplane is the control-plane scenario driver: it runs the
// meshcontrol binary alone against a generated mesh of N services x E
// endpoints and P simulated proxies (in-process ADS clients from package
// xds: real gRPC streams, real decoding, real ACKs), applies churn (endpoint
// flaps and policy edits) at a set rate by rewriting the mesh file, and
// records per size one results.Result with the ControlPlane field:
// convergence percentiles (from the moment a change is written until every
// affected proxy has ACKed a version carrying it), control-plane CPU and
// RSS (from /proc of the meshcontrol process), pushes and bytes pushed.
//
// Convergence is measured by the driver, not taken from meshcontrol's own
// metric: the mesh file carries a revision, meshcontrol stamps it into
// every version string, and each simulated proxy reports which revision it
// ACKed per resource type. meshcontrol's self-reported histogram is kept
// beside it as a cross-check (Labels["cp_reported_p99_ms"]).
//
// A scenario may name istiod too (control_planes): the same mesh written as
// Istio files, the same fleet and churn, istiod run on an empty API server
// of its own (package kubeapi), convergence read from the resources it
// pushes (docs/controlplane.md).
package controlplane
