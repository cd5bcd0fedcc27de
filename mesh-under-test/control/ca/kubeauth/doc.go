// Package kubeauth authenticates CA callers on Kubernetes: the caller sends
// its service-account token, a TokenReview checks it, and the identity is
// spiffe://<trust domain>/ns/<namespace>/sa/<service account>.
package kubeauth
