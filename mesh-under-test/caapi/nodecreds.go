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

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (c NodeCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	tok, err := c.Token()
	if err != nil {
		return nil, fmt.Errorf("ads credentials: %w", err)
	}
	return map[string]string{"authorization": "Bearer " + tok, NodeMetadata: c.NodeID}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (NodeCredentials) RequireTransportSecurity() bool { return true }
