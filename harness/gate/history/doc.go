// Package history keeps the main branch's results over time and finds
// change points in them: slow creep that no single pairwise gate sees
// (each step below threshold) shows up as a shift in the series.
//
// The store is an append-only JSON-lines file, one Point per line (the
// median of one metric over one result set). Change points come from
// E-Divisive with means (Matteson & James 2014), the method MongoDB (Daly et
// al., ICPE 2020) and Apache Otava use, with a seeded permutation test for
// significance. Change points are reported, never gated: the gate decides
// on side-by-side runs only.
package history
