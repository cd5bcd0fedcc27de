// Package digest condenses a set of meshbench results into what a report
// shows: the one aggregation of harness/aggregate (one Group per lane and
// case with medians over the valid repetitions, merged histograms,
// per-role component costs, the overhead over the `none` lane) plus the
// sweeps along connections and QPS, the reference case, the environments
// and the History type for trends.
//
// It only reads harness/results; it never draws. Plots, HTML and Markdown
// all render the same Digest, and the terminal summary the same
// aggregation, so every number appears identically in each.
package digest
