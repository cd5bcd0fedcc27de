// Package ca is the mesh's certificate authority: it signs short-lived
// X.509 workload certificates carrying SPIFFE identities (URI SANs) from
// CSRs sent over gRPC, after authenticating the caller (a bootstrap token on
// the local platform; a Kubernetes service-account token checked with a
// TokenReview on a cluster, see package kubeauth).
//
// The proxy side is Rotator: it keeps the private key in the proxy, asks for
// a certificate, renews it at half its lifetime and publishes the pair as
// the SDS secrets the translated configuration references (SDS-style: the
// key never leaves the proxy, rotation touches no listener or cluster).
//
// The gRPC service uses a small JSON codec (content-subtype "meshcajson")
// instead of generated protobuf code, because the project builds without
// protoc; the wire is still gRPC over HTTP/2.
package ca
