// Package deploy holds the mesh's Kubernetes manifests (meshcontrol with its
// ServiceAccount, RBAC and Service) and renders them for a namespace and a
// pinned image. Sidecars are added to workloads by the harness's injector
// (`meshbench inject`); the mesh's policy stays in the control plane's mesh
// file until it has CRDs.
package deploy
