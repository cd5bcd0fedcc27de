// Package envinfo fingerprints the machine and build a result comes from
// (CPU model, cores, kernel, Go version, GOMAXPROCS, GOGC/GOMEMLIMIT, git
// revision) and measures CPU steal over a window, so results from different
// machines are never compared by mistake and noisy rounds can be voided.
package envinfo
