package caapi

import (
	"context"
	"fmt"
)

// NodeMetadata is the gRPC metadata key naming the node an ADS stream
// speaks for. meshcontrol authenticates the stream's credentials for that
// node and refuses any request naming another.
const NodeMetadata = "x-mesh-node"

// NodeCredentials are a proxy's per-RPC credentials on ADS: its node ID
// and its CA token as a bearer token. They require transport security, so
// the token never travels in plaintext. Safe for concurrent use when Token
// is.
type NodeCredentials struct {
	NodeID string
	// Token returns the current token (a file may be re-read: projected
	// service-account tokens rotate).
	Token func() (string, error)
}

// GetRequestMetadata implements grpc-go's credentials.PerRPCCredentials
// (by its method set; this package does not import grpc-go).
func (c NodeCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	tok, err := c.Token()
	if err != nil {
		return nil, fmt.Errorf("ads credentials: %w", err)
	}
	return map[string]string{"authorization": "Bearer " + tok, NodeMetadata: c.NodeID}, nil
}

// Header returns the headers of GetRequestMetadata (grpcwire's per-call
// headers).
func (c NodeCredentials) Header() (map[string]string, error) {
	return c.GetRequestMetadata(context.Background())
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
// grpcwire requires TLS for per-call credentials too.
func (NodeCredentials) RequireTransportSecurity() bool { return true }
