package kubeauth

import (
	"context"
	"fmt"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
)

// TokenReview is a ca.Authenticator backed by the Kubernetes API.
type TokenReview struct {
	Client      kubernetes.Interface
	TrustDomain string
	// Audiences, when set, are required of the token.
	Audiences []string
}

var _ ca.Authenticator = TokenReview{}

// Authenticate implements ca.Authenticator; the node id is not trusted:
// the identity comes from the token alone.
func (t TokenReview) Authenticate(ctx context.Context, token, _ string) (string, error) {
	if token == "" {
		return "", fmt.Errorf("%w: no token", ca.ErrUnauthenticated)
	}
	tr, err := t.Client.AuthenticationV1().TokenReviews().Create(ctx, &authnv1.TokenReview{
		Spec: authnv1.TokenReviewSpec{Token: token, Audiences: t.Audiences},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token review: %w", err)
	}
	if !tr.Status.Authenticated {
		return "", fmt.Errorf("%w: token review: %s", ca.ErrUnauthenticated, tr.Status.Error)
	}
	parts := strings.Split(tr.Status.User.Username, ":")
	if len(parts) != 4 || parts[0] != "system" || parts[1] != "serviceaccount" {
		return "", fmt.Errorf("%w: %q is not a service account", ca.ErrUnauthenticated, tr.Status.User.Username)
	}
	td := t.TrustDomain
	if td == "" {
		td = "cluster.local"
	}
	return fmt.Sprintf("spiffe://%s/ns/%s/sa/%s", td, parts[2], parts[3]), nil
}
