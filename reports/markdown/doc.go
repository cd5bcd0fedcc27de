// Package markdown renders a report's summary as GitHub-flavoured Markdown,
// short enough for a job summary or a pull-request comment (GitHub caps a
// comment at 65536 characters): the verdict, the comparison rows that
// matter, the overhead over no mesh, and a compact latency table. Plots are
// not embedded; the summary points at report.html.
package markdown
