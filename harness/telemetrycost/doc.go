// Package telemetrycost turns the runs of a scenario with telemetry
// variants (matrix.telemetry) into the telemetry-cost table: per variant,
// what each proxy's CPU per request and the latency percentiles add over
// the all-off variant measured in the same run, as the Hodges-Lehmann
// shift with its 95% interval and the one-sided Mann-Whitney p-value of
// the regression gate's statistics (harness/gate/stats), and what the
// harness's OTLP receiver saw of each tracing variant's spans. It reads
// results only; the reports draw it.
package telemetrycost
