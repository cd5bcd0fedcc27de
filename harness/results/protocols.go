package results

import "slices"

// The protocol catalog: what a case's `protocol` may name. The load client
// has one runner per entry (harness/load), the app serves each, and each
// lane says in the lane catalog which ones it can carry.
const (
	ProtocolHTTP1 = "http1" // HTTP/1.1, keep-alive
	ProtocolH2    = "h2"    // HTTP/2 with prior knowledge (h2c)
	ProtocolGRPC  = "grpc"  // unary gRPC (fortio's Ping) over h2c
	ProtocolTCP   = "tcp"   // opaque TCP: the payload echoed back on a kept-open connection
)

// Protocols lists the catalog in its documented order.
func Protocols() []string {
	return []string{ProtocolHTTP1, ProtocolH2, ProtocolGRPC, ProtocolTCP}
}

// KnownProtocol reports whether p is in the catalog.
func KnownProtocol(p string) bool { return slices.Contains(Protocols(), p) }
