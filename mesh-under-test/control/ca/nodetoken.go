package ca

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// nodeTokenLabel separates these HMACs from any other use of the secret.
const nodeTokenLabel = "meshbench ca node token\x00"

// NodeToken is the CA token of one node: HMAC-SHA256(secret, nodeID). The
// party that starts proxies (the harness) holds the secret and hands each
// proxy only its own token, so a proxy can prove one node ID and no other.
func NodeToken(secret, nodeID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(nodeTokenLabel + nodeID))
	return hex.EncodeToString(m.Sum(nil))
}

// NodeTokens authenticates a caller whose token is NodeToken(Secret, the
// node it names) and gives it the identity the mesh assigns to that node.
// Unlike BootstrapToken, a token grants one node's identity: presenting
// node A's token while naming node B is refused.
type NodeTokens struct {
	Secret     string
	IdentityOf func(nodeID string) (string, bool)
}

// Authenticate implements Authenticator.
func (n NodeTokens) Authenticate(_ context.Context, token, nodeID string) (string, error) {
	if n.Secret == "" || nodeID == "" {
		return "", fmt.Errorf("%w: no node token secret or node ID", ErrUnauthenticated)
	}
	// hmac.Equal is constant time; the expected token is derived, never stored.
	if !hmac.Equal([]byte(token), []byte(NodeToken(n.Secret, nodeID))) {
		return "", fmt.Errorf("%w: token is not node %q's", ErrUnauthenticated, nodeID)
	}
	id, ok := n.IdentityOf(nodeID)
	if !ok {
		return "", fmt.Errorf("%w: unknown proxy %q", ErrUnauthenticated, nodeID)
	}
	return id, nil
}
