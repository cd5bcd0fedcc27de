// Package results is the result model of meshbench: the record of one run
// (Result), the comparison of two sets of runs (Comparison), and the atomic
// reading and writing of both as schema-versioned JSON.
//
// Everything else in the project reads this package; it imports nothing of
// the project. The JSON field names are a public contract documented in
// docs/results.md: other tools and CI jobs parse them, so a field is only
// ever added, never renamed, without bumping Schema.
package results
