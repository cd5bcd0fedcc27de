// Package summary prints the terminal table at the end of a run: per lane
// and case, the median over valid repetitions of latency percentiles,
// achieved QPS, CPU per request of every component and proxy memory, plus
// the latency each lane adds over the no-mesh baseline. The numbers are
// those of harness/aggregate, the aggregation the report renders too.
package summary
