// Package metric is the catalog of what meshbench measures per run: each
// metric once, with its name (the one comparisons, history and reports
// use), column label, unit, the getter that reads it from a result, its
// default gate threshold and the scenario setting that overrides it,
// whether the gate compares it (gated or reported only), and whether the
// gate's machine-speed adjustment applies.
//
// The gate's comparison (harness/gate/compare), the aggregation
// (harness/aggregate), the terminal summary and the reports iterate these
// lists instead of naming metrics: a new metric is one entry here (plus a
// field in the result model if it is a new measurement).
//
// Per-component metrics sum, per run, every component of the given roles
// (a service graph runs one sidecar and one app per service: their cost per
// entry request together; the gate's "proxies" rows sum both proxies).
package metric
