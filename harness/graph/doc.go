// Package graph is the realistic-app workload: a service graph (like
// Istio's Bookinfo) in which every service, on each request, burns a set
// amount of CPU, calls its downstream services in order through its
// sidecar, and answers with a response of a set size. The model (Graph) is
// what an app scenario's `graph:` section decodes into; Serve runs one
// service of it (`meshbench graphsvc`).
package graph
