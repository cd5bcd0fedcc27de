// Package otlpsink is the harness's own OTLP trace receiver: an
// OTLP/gRPC TraceService on 127.0.0.1 that keeps every span's ids and
// kind, and checks parent/child links per trace. A run with tracing on
// points the mesh's proxies at it and reports spans received, traces
// complete and broken links (Check). It stores ids, not payloads, so a
// long run holds a few dozen bytes per span.
package otlpsink
