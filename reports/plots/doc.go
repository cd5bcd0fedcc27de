// Package plots draws a report's figures with gonum.org/v1/plot as PNG:
// latency percentiles against connections and QPS (one series per lane, as
// on Istio's performance page), proxy CPU per 1000 rps against QPS with a
// least-squares line, memory per component, latency CDFs on a log axis,
// base against candidate with confidence intervals, trends with change
// points, and the mesh's overhead beside published Istio and Linkerd
// figures.
//
// A figure whose data is absent is never drawn empty: All returns an
// Omission with the reason instead, and the report prints it.
package plots
