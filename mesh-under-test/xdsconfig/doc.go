// Package xdsconfig is the seam between the mesh's control plane and its
// proxy: a complete set of Envoy xDS resources for one proxy (Resources),
// something that accepts or rejects such sets (Applier, implemented by the
// proxy), and something that delivers them (Source: a static file, or an
// ADS stream from meshcontrol).
//
// The Envoy v3 API is the contract on purpose: every feature of the proxy
// maps to a field Envoy already defines, so the mesh's control plane could
// drive Envoy and the proxy could be driven by any xDS server.
package xdsconfig
