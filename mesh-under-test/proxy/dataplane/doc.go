// Package dataplane is the running proxy: it implements xdsconfig.Applier
// (compile, bind new listeners, swap the snapshot atomically, restart health
// checks), accepts connections, detects TLS and HTTP/2 prior knowledge,
// and serves each connection on one goroutine:
//
//   - HTTP/1.1 through the hand-rolled forwarder (package http1): the
//     request is relayed to a pooled keep-alive upstream connection and the
//     response relayed back, with no per-request goroutines or allocations;
//   - HTTP/2 (h2c or TLS ALPN h2, gRPC) through golang.org/x/net/http2 on
//     both sides, streaming bodies and trailers;
//   - TCP passthrough for tcp_proxy chains.
//
// Filters run in Envoy's order: route match, RBAC, local rate limit, fault,
// then the router (timeouts, retries with budget, circuit breakers, load
// balancing, outlier detection).
package dataplane
