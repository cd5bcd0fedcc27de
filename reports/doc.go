// Package reports renders meshbench results as a self-contained HTML report
// (every plot embedded as a data: URI; no network fetch of any kind), the
// PNG plots beside it, and a Markdown summary fit for a GitHub job summary
// or pull-request comment.
//
// Render is the one entry point; `meshbench report`, `run` and `gate` call
// it. The work is split by concept:
//
//	digest     results -> medians per lane and case, sweeps, overhead, History
//	published  the published Istio/Linkerd figures, with sources and conditions
//	plots      gonum/plot PNGs (a plot with no data is omitted with a reason)
//	html       the HTML page (html/template)
//	markdown   the summary
//
// Reports only read results: they never start a process or touch a platform.
package reports
