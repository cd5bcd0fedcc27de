// Package resilience runs the mesh under faults and measures it like its
// speed: load at a fixed rate for a fixed time on a lane while a fault
// timeline is applied (a component killed and restarted or paused and
// resumed, aborts injected by the mesh's own fault filter, certificates
// rotated under load, a connection flood or slow-loris clients against a
// listener, one of several app replicas answering 5xx so that the mesh's
// outlier detection must eject it), then the run's timeline in buckets,
// its errors by cause, its latency before, during and after the faults, its time to
// recover, and the scenario's pass criteria, each held or not.
//
// Spec is the scenario's `resilience:` section (decoded strictly by the
// scenario package at load time); Analyze and Check are pure functions of
// a load report's buckets and the applied timeline; Run drives one run on a
// topology that implements Faultable, the one seam between platforms: the
// local platform's acts on processes, the kube and kind platforms' on pods.
package resilience
