// Package metrics holds the control plane's Prometheus collectors, on a
// registry the caller owns (no global registration): pushes, push time,
// connected proxies, NACKs and configuration convergence time.
package metrics
