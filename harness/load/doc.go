// Package load drives load with the fortio library: open loop at a fixed
// QPS (uniformly staggered connections, no catch-up) or as fast as possible,
// and reports exact latency percentiles from every request (recorded by
// fortio's access-logger hook; fortio's histogram is kept for plots) from
// the actual send time and from the intended start (wrk2's definition,
// never-sent slots included), how the schedule was kept, and whether the
// load client itself was starved.
//
// The same code runs in the harness's load-client process (`meshbench
// loadgen`), locally or in a pod; the harness talks to it over a small JSON
// API so that the load client's own CPU is measured like any component.
package load
