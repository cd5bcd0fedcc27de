// Package health decides which endpoints receive traffic: passive outlier
// detection (Envoy's outlier_detection: consecutive 5xx and gateway
// failures eject a host for base_ejection_time x times ejected, within
// max_ejection_percent) and active health checks (Envoy's health_checks:
// HTTP GET of a path or a TCP connect, with healthy/unhealthy thresholds).
//
// Outlier is safe for concurrent use and does not allocate. A Checker runs
// its probes in one goroutine per cluster until its context ends.
package health
