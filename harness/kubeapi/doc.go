// Package kubeapi runs a throwaway Kubernetes API server as two local
// processes, etcd and kube-apiserver (no kubelet, no scheduler, no Docker),
// for a component that needs an API server but no nodes: istiod, which
// does not start without Kubernetes (docs/controlplane.md).
//
// It is controller-runtime's envtest control plane (the same processes,
// self-signed serving certificates and a client certificate in the
// system:masters group), started from the binaries the offline node image
// build caches (kind-config/node-image/build-binaries.sh) and written out
// as a kubeconfig file for the process that needs it.
package kubeapi
