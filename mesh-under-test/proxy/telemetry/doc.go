// Package telemetry is what the proxy reports: Prometheus metrics on a
// private client_golang registry (request count, duration, request and
// response sizes by direction, source, destination and code; connections;
// upstream health; config applies), structured sampled access logs, and W3C
// traceparent / B3 trace-context propagation.
//
// The hot path records through pre-resolved metric children (a Series per
// source/destination pair, with children per status code filled once), so
// recording a request does no label hashing and no allocation.
package telemetry
