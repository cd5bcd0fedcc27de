// Package stats holds the statistics behind the regression gate: the exact
// one-sided Mann-Whitney U test (exact under ties, by the permutation
// distribution of mid-ranks), Holm's step-down correction, the
// Hodges-Lehmann shift and ratio estimates with their distribution-free
// confidence intervals, and order-statistic confidence intervals for a
// median (the same ones benchstat prints).
//
// Everything here is a pure function of its inputs, safe for concurrent use;
// the exact null distributions are cached because the gate's self-validation
// study evaluates thousands of gates of the same sample sizes.
package stats
