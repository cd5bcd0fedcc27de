// Package refproxy is the httputil reference lane: Go's stock
// net/http/httputil.ReverseProxy with a pooled keep-alive transport, doing
// the same job as the mesh's proxy. It is the floor a Go proxy must beat.
package refproxy
