package kubeauth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
)

// DefaultAudience is the audience meshcontrol requires of service-account
// tokens; the sidecar's projected token requests it (harness/inject).
const DefaultAudience = "meshcontrol"

// TokenReview is a ca.Authenticator backed by the Kubernetes API.
type TokenReview struct {
	Client      kubernetes.Interface
	TrustDomain string
	// Audiences are required of the token (default DefaultAudience): a
	// service-account token minted for the API server, or for any other
	// service, is refused, so a token a pod leaks to a third party cannot
	// be replayed to the CA.
	Audiences []string
}

var _ ca.Authenticator = TokenReview{}

// Authenticate implements ca.Authenticator; the node id is not trusted:
// the identity comes from the token alone.
func (t TokenReview) Authenticate(ctx context.Context, token, _ string) (string, error) {
	if token == "" {
		return "", fmt.Errorf("%w: no token", ca.ErrUnauthenticated)
	}
	auds := t.Audiences
	if len(auds) == 0 {
		auds = []string{DefaultAudience}
	}
	tr, err := t.Client.AuthenticationV1().TokenReviews().Create(ctx, &authnv1.TokenReview{
		Spec: authnv1.TokenReviewSpec{Token: token, Audiences: auds},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token review: %w", err)
	}
	if !tr.Status.Authenticated {
		return "", fmt.Errorf("%w: token review: %s", ca.ErrUnauthenticated, tr.Status.Error)
	}
	// The API server names the audiences it validated; an authenticator
	// that ignores audiences names none. Kubernetes asks callers to check
	// the intersection (TokenReviewStatus.Audiences).
	if !slices.ContainsFunc(tr.Status.Audiences, func(a string) bool { return slices.Contains(auds, a) }) {
		return "", fmt.Errorf("%w: token review: token is not for audience %q (it is for %q)", ca.ErrUnauthenticated, auds, tr.Status.Audiences)
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
