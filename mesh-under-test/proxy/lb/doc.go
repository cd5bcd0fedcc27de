// Package lb holds per-endpoint load-balancing state (in-flight requests,
// active health, outlier ejection) and the pickers that choose among
// endpoints: round robin and least-request by power of two choices.
//
// All state is atomic so a picker is safe for concurrent use without locks;
// pickers return an index so callers keep their own per-endpoint data
// (connection pools) in parallel slices.
package lb
