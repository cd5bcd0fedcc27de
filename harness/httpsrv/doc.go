// Package httpsrv runs the harness's small HTTP servers (echo app, graph
// services, the load client's API, the httputil reference proxy) the same
// way: HTTP/1.1 and prior-knowledge h2c on one listener, until the context
// ends, then a short graceful shutdown.
package httpsrv
