// Package wire measures request latency where the packets cross the
// loopback interface, not where the load client's code sees them: an
// AF_PACKET socket on lo (golang.org/x/sys/unix, no cgo) with kernel
// receive timestamps (SO_TIMESTAMPNS). For each TCP connection to one
// server port, a request starts at the first data packet from the client
// after the previous response, and ends at the first data packet back from
// the server. The difference from the client's own latency is the client's
// overhead (issue 18: on this machine fortio's p50 was ~0.06 ms above the
// wire's).
//
// It needs Linux and CAP_NET_RAW (root): Start says why when it cannot. It
// pairs one outstanding request per connection, as HTTP/1.1 keep-alive and
// the tcp echo send them; multiplexed protocols (h2, gRPC) are not paired.
package wire
