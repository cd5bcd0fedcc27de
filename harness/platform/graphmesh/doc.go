// Package graphmesh describes a service graph's mesh lane once for every
// platform: the meshcontrol mesh file of a graph (a proxy per service, its
// inbound listener in front of the app and one outbound listener per
// callee, weighted splits as subsets and routes, the load client's proxy)
// and where the sidecars record each edge's latency (platform.HopMetrics).
// The platforms differ only in the addresses they pass in: loopback ports
// on the local platform, pod IPs and in-pod loopback on kind and kube.
package graphmesh
