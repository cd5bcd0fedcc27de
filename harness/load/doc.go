// Package load drives load with the fortio library: open loop at a fixed
// QPS (uniformly staggered connections, no catch-up) or as fast as possible,
// with microsecond histogram resolution, and reports latency from the actual
// send time and from the scheduled start (coordinated-omission corrected).
//
// The same code runs in the harness's load-client process (`meshbench
// loadgen`), locally or in a pod; the harness talks to it over a small JSON
// API so that the load client's own CPU is measured like any component.
package load
