// Package translate turns the mesh (registry + policy, as a meshconfig.Mesh)
// into one xdsconfig.Resources per proxy: Envoy v3 Listeners, Routes,
// Clusters and ClusterLoadAssignments using only standard Envoy fields
// (weighted_clusters, retry_policy, circuit_breakers with retry_budget,
// outlier_detection, health_checks, typed_per_filter_config for the fault,
// local_ratelimit and rbac HTTP filters, and tls transport sockets whose
// certificates come from SDS secrets named SecretCert and SecretRoots).
//
// Scoping: a proxy receives clusters, endpoints and virtual hosts only for
// the services in its egress list (Istio's Sidecar resource), so its
// configuration grows with what it calls, not with the mesh.
//
// Translation is a pure function of its input and is safe for concurrent
// use. Resources shared by several proxies (a service's cluster and load
// assignment, its virtual host) are built once per call and shared by
// pointer; they must be treated as immutable.
package translate
