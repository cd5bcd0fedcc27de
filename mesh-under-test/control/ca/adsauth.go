package ca

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/meshbench/meshbench/mesh-under-test/caapi"
)

// NodeAuth authenticates every gRPC call but the CA's Sign (which
// authenticates its own request) as one node: the caller names its node in
// the caapi.NodeMetadata header and proves it with a workload certificate
// for that node's identity (verified by the TLS handshake against the mesh
// root) or a token Auth accepts for that node. On a stream, every request
// naming a node must name that one: a proxy holding node A's credentials
// cannot ask for node B's configuration. Safe for concurrent use.
type NodeAuth struct {
	Auth       Authenticator
	IdentityOf func(nodeID string) (string, bool)
	Log        *slog.Logger // optional
	Ready      func() bool  // optional: as Service.Ready
}

// UnaryInterceptor authenticates unary calls other than the CA's Sign.
func (a NodeAuth) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if info.FullMethod == caapi.SignMethod {
			return h(ctx, req)
		}
		if _, err := a.authenticate(ctx, info.FullMethod); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

// StreamInterceptor authenticates streams (ADS) and binds them to the node.
func (a NodeAuth) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		node, err := a.authenticate(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		bs := &boundStream{ServerStream: ss, node: node, log: a.Log}
		err = h(srv, bs)
		if bs.denied != nil {
			// go-control-plane ends a stream whose Recv failed with OK:
			// the caller must see why.
			return bs.denied
		}
		return err
	}
}

func (a NodeAuth) authenticate(ctx context.Context, method string) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	node := first(md, caapi.NodeMetadata)
	if a.Ready != nil && !a.Ready() {
		return "", status.Error(codes.Unavailable, ErrNotReady.Error())
	}
	err := a.check(ctx, md, node)
	if err != nil {
		if a.Log != nil {
			a.Log.Warn("xDS caller refused", "method", method, "node", node, "error", err)
		}
		return "", status.Error(codes.Unauthenticated, err.Error())
	}
	return node, nil
}

func (a NodeAuth) check(ctx context.Context, md metadata.MD, node string) error {
	if node == "" {
		return fmt.Errorf("%w: no %s metadata naming the node", ErrUnauthenticated, caapi.NodeMetadata)
	}
	want, known := a.IdentityOf(node)
	if known && peerHasIdentity(ctx, want) {
		return nil
	}
	token := strings.TrimPrefix(first(md, "authorization"), "Bearer ")
	if token == "" {
		return fmt.Errorf("%w: node %q: no bearer token and no client certificate for its identity", ErrUnauthenticated, node)
	}
	got, err := a.Auth.Authenticate(ctx, token, node)
	if err != nil {
		return fmt.Errorf("node %q: %w", node, err)
	}
	// A node token names its node, but a service-account token (TokenReview)
	// names only a workload: it grants the nodes whose identity is that
	// workload's, never a node the mesh does not know or another workload's.
	if !known {
		return fmt.Errorf("%w: unknown node %q", ErrUnauthenticated, node)
	}
	if got != want {
		return fmt.Errorf("%w: node %q is %s; the token grants %s", ErrUnauthenticated, node, want, got)
	}
	return nil
}

// peerHasIdentity reports whether the TLS peer presented a certificate,
// verified against the mesh root, whose URI SAN is id.
func peerHasIdentity(ctx context.Context, id string) bool {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 {
		return false
	}
	for _, u := range info.State.VerifiedChains[0][0].URIs {
		if u.String() == id {
			return true
		}
	}
	return false
}

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// boundStream refuses any request naming a node other than the
// authenticated one.
type boundStream struct {
	grpc.ServerStream
	node   string
	log    *slog.Logger
	denied error // set by RecvMsg, read after the handler returned
}

func (s *boundStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if r, ok := m.(interface{ GetNode() *corev3.Node }); ok {
		if id := r.GetNode().GetId(); id != "" && id != s.node {
			if s.log != nil {
				s.log.Warn("xDS request for another node refused", "authenticated", s.node, "asked", id)
			}
			s.denied = status.Errorf(codes.PermissionDenied, "authenticated as node %q, request names node %q", s.node, id)
			return s.denied
		}
	}
	return nil
}
