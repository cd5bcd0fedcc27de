// Package admin is the proxy's admin HTTP server: /ready (200 once a
// configuration is applied and its listeners are bound, 503 before and
// while draining), /metrics (the proxy's own Prometheus registry),
// /config_dump (the live xDS resources as JSON) and /debug/pprof/.
package admin
