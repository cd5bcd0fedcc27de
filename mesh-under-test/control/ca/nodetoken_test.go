package ca_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/meshbench/meshbench/mesh-under-test/caapi"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
)

// TestNodeTokenBindsOneIdentity: over the real gRPC service, node A's token
// gets node A's certificate and nothing else: naming node B with it, or
// presenting the secret itself, is refused.
func TestNodeTokenBindsOneIdentity(t *testing.T) {
	ids := map[string]string{"a": "spiffe://cluster.local/ns/default/sa/a", "b": "spiffe://cluster.local/ns/default/sa/b"}
	const secret = "mesh-secret"
	_, conn := serve(t, ca.NodeTokens{Secret: secret, IdentityOf: func(n string) (string, bool) { id, ok := ids[n]; return id, ok }})
	tokA, tokB := ca.NodeToken(secret, "a"), ca.NodeToken(secret, "b")
	require.NotEqual(t, tokA, tokB)
	require.NotEqual(t, tokA, ca.NodeToken("other-secret", "a"))
	cases := []struct {
		name, token, node string
		want              string // identity; "" means refused
	}{
		{"own token", tokA, "a", ids["a"]},
		{"B's own token", tokB, "b", ids["b"]},
		{"A's token naming B", tokA, "b", ""},
		{"B's token naming A", tokB, "a", ""},
		{"the secret itself", secret, "a", ""},
		{"no token", "", "a", ""},
		{"token of an unknown node", ca.NodeToken(secret, "c"), "c", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := caapi.Sign(context.Background(), conn, tc.token, &caapi.SignRequest{NodeID: tc.node, CSRPEM: newCSR(t, "")})
			if tc.want == "" {
				require.Error(t, err)
				assert.Equal(t, int(codes.Unauthenticated), grpcwire.Code(err), err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, resp.Identity)
		})
	}
}
