// Package buildtags names the build tags every build of meshbench's
// binaries uses, the Makefile's TAGS: the binaries `make build` ships, the
// gate's base and candidate builds (harness/gate/runner) and the tests'
// builds (internal/testbin), so that each measures what ships.
package buildtags

// Tags: grpcnotrace leaves golang.org/x/net/trace and its html/template and
// text/template out of the mesh's binaries (docs/proxy.md "Memory").
const Tags = "grpcnotrace"
