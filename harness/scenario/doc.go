// Package scenario loads scenario files: one YAML file describes what to
// run (kind, lanes, the matrix of cases, repetitions, warm-up and measured
// window, mesh options, named profiles that rescale durations, gate
// thresholds). Loading is strict: an unknown field or a bad value is an
// error that names the file, the line and the field.
package scenario
