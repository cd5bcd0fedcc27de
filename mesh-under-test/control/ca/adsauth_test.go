package ca

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/meshbench/meshbench/mesh-under-test/caapi"
)

// workloadTokens authenticates as a TokenReview does: the token names a
// workload identity, whatever node the caller claims.
type workloadTokens map[string]string

func (w workloadTokens) Authenticate(_ context.Context, token, _ string) (string, error) {
	if id, ok := w[token]; ok {
		return id, nil
	}
	return "", fmt.Errorf("%w: unknown token", ErrUnauthenticated)
}

// TestNodeAuthBindsWorkloadTokensToTheirNodes: a token that names a
// workload, not a node (a service-account token under TokenReview),
// authenticates an ADS stream only for the nodes whose identity is that
// workload's. Before, any valid service-account token opened a stream as
// any node, so one pod could read another's configuration.
func TestNodeAuthBindsWorkloadTokensToTheirNodes(t *testing.T) {
	ids := map[string]string{
		"client-proxy": "spiffe://cluster.local/ns/bench/sa/client",
		"server-proxy": "spiffe://cluster.local/ns/bench/sa/server",
	}
	a := NodeAuth{
		Auth:       workloadTokens{"client-sa-token": ids["client-proxy"], "server-sa-token": ids["server-proxy"]},
		IdentityOf: func(n string) (string, bool) { id, ok := ids[n]; return id, ok },
	}
	for _, tc := range []struct {
		name, node, token string
		want              codes.Code
	}{
		{"own node", "client-proxy", "client-sa-token", codes.OK},
		{"other workload's node", "server-proxy", "client-sa-token", codes.Unauthenticated},
		{"unknown node", "nobody", "client-sa-token", codes.Unauthenticated},
		{"bad token", "client-proxy", "forged", codes.Unauthenticated},
		{"no token", "client-proxy", "", codes.Unauthenticated},
		{"no node", "", "client-sa-token", codes.Unauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md := metadata.Pairs(caapi.NodeMetadata, tc.node)
			if tc.token != "" {
				md.Set("authorization", "Bearer "+tc.token)
			}
			node, err := a.authenticate(metadata.NewIncomingContext(context.Background(), md), "/ads")
			assert.Equal(t, tc.want, status.Code(err), "%v", err)
			if tc.want == codes.OK {
				assert.Equal(t, tc.node, node)
			}
		})
	}
}
