// Package digest condenses a set of meshbench results into what a report
// shows: one Group per lane and case (medians over the valid repetitions,
// merged histograms, per-role component costs), the sweeps along connections
// and QPS, the reference case, the mesh's overhead over the `none` lane, and
// the History type for trends.
//
// It only reads harness/results; it never draws. Plots, HTML and Markdown
// all render the same Digest, so every number appears identically in each.
package digest
