// Package runner drives a whole gate: it builds base and candidate (each
// revision in its own git worktree, or takes prebuilt binary directories),
// runs K rounds with base and candidate once each in a seeded random order,
// voids rounds with an invalid run (load generator behind, heavy steal),
// decides with the verdict rule, and on INCONCLUSIVE runs the one
// pre-declared extension of more rounds before deciding for the last time.
//
// How a side is run is behind the Executor interface: the local platform
// through harness/run in production, a fake in unit tests.
package runner
