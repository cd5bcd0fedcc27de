// Package gateexec wires the gate's rounds to a platform: it implements
// runner.Executor by running one side's lanes and cases through harness/run.
//
// Why its own package: the gate's verdict machinery (harness/gate/...) must
// never know how results were made (docs/architecture.md); the CLI chooses
// this executor and hands it to runner.Gate.
//
// Thread-safety: a Local is used by one gate at a time (runner.Gate calls Run
// sequentially). Lifecycle: Close stops every platform it started.
package gateexec
