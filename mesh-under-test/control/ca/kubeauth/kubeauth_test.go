package kubeauth_test

import (
	"context"
	"slices"
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

// fakeAPI answers TokenReviews like the API server would: each token was
// minted for one audience and authenticates only when the review asks for
// it, echoing it in status.audiences; "lax-token" stands for an
// authenticator that ignores audiences (authenticated, none echoed). It
// records the audiences of every review.
func fakeAPI(asked *[][]string) *fake.Clientset {
	c := fake.NewClientset()
	c.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authnv1.TokenReview)
		*asked = append(*asked, tr.Spec.Audiences)
		out := tr.DeepCopy()
		user, aud := map[string]string{
			"sa-token":   "system:serviceaccount:shop:cart",
			"user-token": "alice",
			"api-token":  "system:serviceaccount:shop:cart",
			"lax-token":  "system:serviceaccount:shop:cart",
		}[tr.Spec.Token], map[string]string{"sa-token": "meshcontrol", "user-token": "meshcontrol", "api-token": "https://kubernetes.default.svc"}[tr.Spec.Token]
		switch {
		case tr.Spec.Token == "lax-token":
			out.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: user}}
		case user != "" && slices.Contains(tr.Spec.Audiences, aud):
			out.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: user}, Audiences: []string{aud}}
		case user != "":
			out.Status = authnv1.TokenReviewStatus{Error: "token audiences is invalid for the target audiences"}
		default:
			out.Status = authnv1.TokenReviewStatus{Error: "invalid bearer token"}
		}
		return true, out, nil
	})
	return c
}

func TestTokenReview(t *testing.T) {
	cases := []struct {
		name, token, want string
		audiences         []string
		err               bool
	}{
		{"sa token for meshcontrol", "sa-token", "spiffe://mesh.test/ns/shop/sa/cart", nil, false},
		{"same, audience named", "sa-token", "spiffe://mesh.test/ns/shop/sa/cart", []string{"meshcontrol"}, false},
		{"sa token for another audience", "sa-token", "", []string{"vault"}, true},
		{"API server token", "api-token", "", nil, true},
		{"authenticator ignoring audiences", "lax-token", "", nil, true},
		{"user token", "user-token", "", nil, true},
		{"forged", "forged", "", nil, true},
		{"empty", "", "", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked [][]string
			auth := kubeauth.TokenReview{Client: fakeAPI(&asked), TrustDomain: "mesh.test", Audiences: tc.audiences}
			id, err := auth.Authenticate(context.Background(), tc.token, "ignored")
			for _, a := range asked {
				assert.NotEmpty(t, a, "every review carries an audience")
			}
			if tc.err {
				require.ErrorIs(t, err, ca.ErrUnauthenticated)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, id)
			assert.Equal(t, [][]string{{kubeauth.DefaultAudience}}, asked)
		})
	}
}
