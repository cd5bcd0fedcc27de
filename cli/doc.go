// Package cli wires meshbench's cobra commands to the harness library. Each
// subcommand lives in its own file and only turns flags into library calls;
// Run is the testable entry point and cmd/meshbench only calls Main.
package cli
