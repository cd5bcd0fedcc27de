// Package http1 is the proxy's HTTP/1.1 wire layer: it parses request and
// response heads into reusable structs whose fields are slices of one
// per-connection buffer, and copies bodies (Content-Length, chunked, or
// until close) between buffered readers and writers without interpreting
// them.
//
// It exists because the proxy's hot path is HTTP/1.1 forwarding, and
// net/http (built for handlers, not for relaying) allocates per request and
// costs two goroutine hand-offs per upstream round trip. Everything here is
// allocation-free once a connection's buffers have grown to their working
// size. Types are not safe for concurrent use: one Request or Response
// belongs to one connection's goroutine.
package http1
