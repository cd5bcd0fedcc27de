// Package grpcwire is a gRPC client that speaks gRPC's wire protocol
// directly over golang.org/x/net/http2: unary calls and bidirectional
// streams of length-prefixed messages, status from the grpc-status and
// grpc-message trailers.
//
// Why not google.golang.org/grpc: the proxy's three control-plane calls
// (the ADS stream, the CA's Sign, the OTLP span export) used only its
// client, and that client (resolvers, balancers, channelz, its transport and
// the init code of about 60 packages) was the largest part of the proxy's
// code that runs, most of its binary's resident pages (issue 15). The proxy
// already links x/net/http2 for its upstreams. meshcontrol keeps grpc-go as
// the server; the tests here and in package xds talk to real grpc-go
// servers.
//
// What it does not do: compression (a compressed message is an error),
// name resolution beyond the dialler, load balancing, retries (callers
// back off and retry, as the ADS client and the certificate rotator do).
package grpcwire
