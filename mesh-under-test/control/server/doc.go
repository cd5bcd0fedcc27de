// Package server serves per-proxy xDS over ADS (state of the world) with
// go-control-plane's snapshot cache and server, and tracks what each proxy
// has acknowledged to measure convergence: the time from a registry or
// policy change until every affected, connected proxy has ACKed the
// configuration carrying it.
//
// Versions are per proxy and per resource type,
// "r<revision>-<incarnation>-<generation>":
// a type whose content did not change keeps its version, so the cache does
// not re-send it (a flapping endpoint pushes EDS, not LDS, RDS and CDS).
package server
