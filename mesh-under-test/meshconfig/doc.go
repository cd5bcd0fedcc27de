// Package meshconfig is the mesh's YAML model: the services and their
// endpoints (the registry of the local platform), the proxies (workloads and
// the listeners their sidecars open), and the mesh policy (routes, splits,
// retries, timeouts, faults, circuit breakers, outlier detection, health
// checks, rate limits, mTLS mode, authorization).
//
// Decoding is strict: an unknown field, a wrong type or an invalid value is an
// error that names the file, the line and the field path, because a mesh file
// that silently drops a misspelled "retires:" is worse than no mesh file.
//
// The harness builds Mesh values in Go (see Lane) and writes them with
// WriteFile; meshcontrol reads them with Load. docs/meshconfig.md documents
// the format.
package meshconfig
