// Package verdict applies the gate's decision rule (shared/GATE.md) to
// run-level samples of base and candidate, metric by metric:
//
//	FAIL          Holm-adjusted one-sided exact U p < alpha for this look
//	              and Hodges-Lehmann slowdown >= threshold T
//	PASS          the upper bound of the slowdown's confidence interval < T
//	INCONCLUSIVE  otherwise
//
// A gate may pre-declare one extension: when the first look is
// INCONCLUSIVE it runs K more rounds and decides once more on all 2K. The
// family-wise alpha is split between the two looks (Bonferroni over looks),
// so the chance of any false FAIL stays at most alpha whatever the
// correlation between the looks. There is never a third look.
//
// Thresholds, with yaml and json tags, is what a scenario file embeds to
// override the defaults.
package verdict
