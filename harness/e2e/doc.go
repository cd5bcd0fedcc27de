// Package e2e holds end-to-end tests of the harness on the local platform:
// they build the real binaries, run short scenarios through every component
// as separate processes, and check what a user relies on (real numbers,
// interleaving, teardown on Ctrl-C, results kept).
package e2e
