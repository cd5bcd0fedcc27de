// Package xds is the proxy's side of the control plane: an ADS client
// (state of the world, one gRPC stream for every type) implementing
// xdsconfig.Source.
//
// It subscribes to Clusters and Listeners, follows them with the
// ClusterLoadAssignments and RouteConfigurations they reference, and hands
// the proxy one complete, consistent xdsconfig.Resources whenever that set
// changes. A response the proxy's Applier rejects is NACKed and the proxy
// stays on its previous configuration; when the stream breaks, the client
// reconnects with jittered exponential backoff while the proxy keeps
// serving its last configuration. Workload certificates (SDS secrets) come
// from a CertSource, typically the mesh CA client in package ca.
package xds
