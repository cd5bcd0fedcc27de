// Package policy brings mesh policy (and proxy declarations) from
// Kubernetes: a ConfigMap holding a mesh document (the meshconfig format,
// usually just its policy: and proxies: sections), watched with a client-go
// informer and decoded strictly. It is a registry.Source, merged by the
// controller like any other: services still come from the Kubernetes
// registry.
package policy
