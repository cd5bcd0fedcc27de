// Package graph is the realistic-app workload: a service graph (like
// Istio's Bookinfo or an isotope topology) in which every service, on each
// request, runs a script - burn CPU, sleep, call downstream services in
// sequence or in concurrent groups, each call with a probability and a
// request size - and answers with a response of a set size, failing every
// N-th request when it has an error rate (isotope's semantics). A grpc
// service also answers gRPC on its port (h2c) and is called over gRPC. The model
// (Graph) is what an app scenario's `graph:` section decodes into (inline,
// or read from an isotope file by the isotope subpackage); Serve runs one
// service of it (`meshbench graphsvc`); Expect and CheckEdges compare the
// calls each service made against what the topology predicts.
package graph
