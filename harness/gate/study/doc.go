// Package study proves the gate on itself (shared/GATE.md, "How the gate
// proves itself") within a budget: Record runs many interleaved rounds once,
// each round every variant of one build (two identical "A" variants and the
// injected regressions) in a seeded random order; Analyze then forms gates
// from those rounds, by disjoint blocks of K rounds where the recording is
// long enough and by resampling rounds where it is not, and reports the
// false FAIL and INCONCLUSIVE rates of A/A gates, the detection rate of each
// injected regression, and each metric's minimum detectable effect.
package study
