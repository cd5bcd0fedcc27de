// Package plan expands a scenario into the ordered list of runs: the
// cartesian matrix of cases, times lanes, times repetitions, with the lanes
// of each (case, repetition) in a seeded random order, so that a drifting
// machine spreads its drift over every lane instead of biasing one
// (all-A-then-all-B ordering makes identical builds look different).
package plan
