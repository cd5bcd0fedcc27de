// Package micro runs a micro scenario: the mesh's Go benchmarks for a base
// and a candidate source tree, interleaved. Each side's test binaries are
// built once (so compilation is not measured), then K rounds each run every
// benchmark once per side (-test.count=1) in a seeded random order; the
// outputs are parsed with golang.org/x/perf/benchfmt, each side summarized
// with benchmath (benchstat's medians and intervals), and every
// benchmark/unit judged by the gate's verdict rule (one-sided exact U, Holm,
// Hodges-Lehmann).
//
// With Callgrind set and valgrind installed, each benchmark's instructions
// per operation are counted too: run under callgrind at N and 2N
// iterations, (I(2N) - I(N)) / N cancels start-up and setup cost. The count
// is nearly deterministic, so it catches 1% changes that wall-clock timing
// on a shared 2-core VM cannot.
package micro
