// Package aggregate is the one aggregation of meshbench results that every
// view reads: runs grouped by lane and case, the median of each metric over
// a group's valid runs, and each lane's overhead over the `none` lane of the
// same case. The terminal summary (harness/summary), the Markdown and HTML
// report (reports/...) all render a Set, so a number shows identically in
// each and a group without a valid run shows no number in any of them.
//
// It reads harness/results only; it neither prints nor draws.
package aggregate
