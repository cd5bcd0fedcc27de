// Package export writes meshbench results in the formats peers speak, and
// reads one of them back as foreign results:
//
//   - fortio: one fhttp.HTTPRunnerResults JSON per run, built from fortio's
//     own types, that fortio's report UI (fortio report -data-dir DIR) opens;
//   - smp: the Service Mesh Performance specification's PerformanceTestResult
//     per run, with the ServiceMeshConfig and EnvironmentConfig documents it
//     points to (the spec puts CPU and memory there, not in the result);
//   - benchfmt: Go benchmark-format lines, written with golang.org/x/perf's
//     benchfmt, that benchstat reads.
//
// ReadAll reads meshbench result files and fortio JSON files (fortio's own
// and Nighthawk's fortio-format output) as one result set, so `meshbench
// compare` can judge a foreign tool's runs with the gate's statistics.
//
// The package reads harness/results (and names cases as harness/plan does);
// it never runs anything.
package export
