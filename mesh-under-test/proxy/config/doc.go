// Package config compiles a complete set of Envoy v3 xDS resources
// (xdsconfig.Resources) into an immutable Snapshot the data path reads
// without locks: listeners with their filter chains, compiled route tables,
// clusters with endpoints, and TLS contexts bound to SDS secrets.
//
// Compile validates everything first (protoc-gen-validate rules, then
// references: unknown clusters, zero-weight splits, missing secrets,
// unsupported filters or matchers) and returns a clear error without side
// effects, so the caller keeps serving its last good snapshot. Only the
// commit step (Snapshot.Commit) publishes new secret material.
//
// It also builds resources from the meshproxy static flags (Static) and
// reads them from an Envoy-style static_resources YAML/JSON file (File).
package config
