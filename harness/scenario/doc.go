// Package scenario loads scenario files: one YAML file describes what to
// run (kind, lanes, the matrix of cases, repetitions, warm-up and measured
// window, mesh options, named profiles that rescale durations, gate
// thresholds, the controlplane and micro specs). Loading is strict and
// complete: every unknown field, wrong type or bad value, in every section,
// is reported at once, each as FILE:LINE: field FIELD: MESSAGE in YAML
// words (never Go type names).
package scenario
