// Package platform defines what a platform is: something that brings a
// lane's topology up (control plane, proxies, workloads), lets the harness
// drive load through it from the platform's own load client, exposes a probe
// per component for CPU and memory, and tears everything down.
//
// Implementations live in sub-packages: local (OS processes on 127.0.0.1,
// the default), kind (a kind cluster this project creates) and kube (any
// existing cluster). Platforms know how to start things; they never decide
// verdicts or draw.
package platform
