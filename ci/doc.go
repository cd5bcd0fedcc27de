// Package ci holds the continuous-integration performance gate: the GitHub
// Actions workflow (github/perf-gate.yml), the script that runs the gate on
// any CI (gate.sh), and their tests: the workflow passes actionlint (a Go
// tool dependency, `go tool actionlint`), and gate.sh on two prebuilt
// binary sets exits 0 on an A/A and 1 on an injected regression. There is
// no Go code here besides the tests; ci/README.md documents the gate.
package ci
