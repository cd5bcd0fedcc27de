// Package kube is the platform that runs lanes as pods on any Kubernetes
// cluster given by a kubeconfig: the echo app behind a Service, the load
// client (`meshbench loadgen`) driven through the API server's pod proxy,
// and for the mesh lane meshproxy sidecars added by package inject and,
// when its image is given, meshcontrol. Each topology lives in a namespace
// of its own, deleted by Down, so nothing outlives a run; the platform never
// creates or deletes the cluster itself (package kind does that).
//
// CPU and memory per container come from a ProbeSource: the kubelet's
// /stats/summary through the API server by default (cAdvisor-cached, so
// coarse over short windows), or the node's cgroups where the harness can
// read them (the kind platform).
package kube
