// Package testbin builds the project's binaries (meshbench, meshproxy,
// meshcontrol) once per test binary, for tests that run them as real
// processes.
//
// Why a package: a build from a fresh clone with empty Go caches takes most of
// a minute on a 2-core machine, and longer when the machine is busy. A test
// that builds inside its own timed context then fails for a reason that has
// nothing to do with what it tests (issue: TestRunSmallMesh killed at 50 s of
// build). Here the build has no deadline, happens once, and is shared by every
// test of the package; tests time only the behaviour they check.
//
// Thread-safety: Dir may be called from parallel tests; the build runs once.
// Lifecycle: call Main from the package's TestMain so the directory is removed
// after the last test.
package testbin
