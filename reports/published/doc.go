// Package published loads the published performance figures of other meshes
// (baselines/published/*.yaml) and normalises the ones a report can set
// beside its own overhead: added latency per percentile, proxy vCPU per 1000
// rps, and proxy memory. Every figure keeps its source and the test
// conditions it was measured under, because none of them come from the
// machine the report's own numbers come from.
//
// Where the YAML's comments qualify a family of figures (Istio's CPU and
// memory before 1.20 come from a 70k rps load mesh), the loader carries the
// qualification into the figure's note, so it reaches every label.
//
// The YAML is written for people (a figure may be a range like "4-6", a
// connection count may be a list), so the loader reads it generically and
// keeps anything it cannot classify as KindOther rather than failing.
package published
