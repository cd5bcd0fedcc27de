// Package inject adds the mesh's sidecar (meshproxy) to Kubernetes
// workloads: a manifest transform, like `istioctl kube-inject`, used by
// `meshbench inject` and by the kube and kind platforms.
//
// The mesh does not intercept traffic with iptables: a workload opts in
// with annotations that say which ports the sidecar serves.
//
//	meshbench.io/inject: "true"              inject this pod (template)
//	meshbench.io/app-port: "8080"            inbound: the sidecar listens on the
//	                                         inbound port (15006) and forwards to
//	                                         127.0.0.1:8080; Services selecting the
//	                                         pod are retargeted to 15006
//	meshbench.io/outbound: "15001=app:8080"  outbound: the sidecar listens on
//	                                         127.0.0.1:15001 and forwards to app:8080
//	                                         (comma-separated for several)
//
// The injector records the sidecar's inbound port in meshbench.io/inbound-port,
// the annotation the control plane's Kubernetes registry reads to point
// endpoints at sidecars, and its node id in meshbench.io/proxy-id, which
// tells the registry which proxy serves them (mTLS towards a sidecar that
// listens on every address of its pod).
package inject
