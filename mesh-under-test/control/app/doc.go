// Package app assembles meshcontrol: registries, controller, ADS server,
// CA and the admin endpoint (/ready, /metrics, /debug/pprof). Start runs one
// instance in-process (tests, the control-plane scenario's own checks);
// Main is the command line.
package app
