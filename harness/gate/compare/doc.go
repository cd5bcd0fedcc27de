// Package compare turns two sets of run results (base and candidate) into a
// results.Comparison: it checks that both come from one machine, drops
// invalid runs, groups runs by lane and case, extracts the run-level metrics
// (latency percentiles, CPU per request, RSS, instructions per request) and
// applies the verdict rule to them.
package compare
