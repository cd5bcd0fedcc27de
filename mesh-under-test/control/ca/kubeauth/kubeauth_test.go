package kubeauth_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca/kubeauth"
)

// fakeAPI answers TokenReviews like the API server would for two tokens.
func fakeAPI() *fake.Clientset {
	c := fake.NewClientset()
	c.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authnv1.TokenReview)
		out := tr.DeepCopy()
		switch tr.Spec.Token {
		case "sa-token":
			out.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: "system:serviceaccount:shop:cart"}}
		case "user-token":
			out.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: "alice"}}
		default:
			out.Status = authnv1.TokenReviewStatus{Error: "invalid bearer token"}
		}
		return true, out, nil
	})
	return c
}

func TestTokenReview(t *testing.T) {
	auth := kubeauth.TokenReview{Client: fakeAPI(), TrustDomain: "mesh.test"}
	cases := []struct {
		token, want string
		err         bool
	}{
		{"sa-token", "spiffe://mesh.test/ns/shop/sa/cart", false},
		{"user-token", "", true},
		{"forged", "", true},
		{"", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.token, func(t *testing.T) {
			id, err := auth.Authenticate(context.Background(), tc.token, "ignored")
			if tc.err {
				require.ErrorIs(t, err, ca.ErrUnauthenticated)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, id)
		})
	}
}
