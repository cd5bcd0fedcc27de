package ca

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/meshbench/meshbench/mesh-under-test/caapi"
	"github.com/meshbench/meshbench/mesh-under-test/control/metrics"
)

// grpc-go picks codecs by content-subtype from a process-wide table, which
// can only be filled at init: the CA's JSON messages (caapi.CodecName).
func init() { encoding.RegisterCodec(caapi.JSONCodec{}) }

// Authenticator maps a caller's token (and claimed node) to the identity it
// may hold. Implementations must be safe for concurrent use.
type Authenticator interface {
	Authenticate(ctx context.Context, token, nodeID string) (identity string, err error)
}

// ErrUnauthenticated is returned by Authenticators for bad credentials.
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrNotReady is returned (as codes.Unavailable) while meshcontrol has not
// yet loaded the mesh that says which nodes exist.
var ErrNotReady = errors.New("meshcontrol has not loaded its mesh yet; retry")

// BootstrapToken authenticates any holder of Token and gives it the
// identity the mesh assigns to the node it names (the local platform: the
// harness hands the token to the proxies it starts).
type BootstrapToken struct {
	Token      string
	IdentityOf func(nodeID string) (string, bool)
}

// Authenticate implements Authenticator.
func (b BootstrapToken) Authenticate(_ context.Context, token, nodeID string) (string, error) {
	if b.Token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(b.Token)) != 1 {
		return "", fmt.Errorf("%w: bad bootstrap token", ErrUnauthenticated)
	}
	id, ok := b.IdentityOf(nodeID)
	if !ok {
		return "", fmt.Errorf("%w: unknown proxy %q", ErrUnauthenticated, nodeID)
	}
	return id, nil
}

// Service is the CA's gRPC service.
type Service struct {
	CA      *CA
	Auth    Authenticator
	Log     *slog.Logger
	Metrics *metrics.Metrics // optional
	// Ready, when set, reports whether meshcontrol has loaded its mesh:
	// before that every node is unknown, and a proxy started beside
	// meshcontrol must be told to retry (Unavailable), not that its
	// credentials are bad (Unauthenticated).
	Ready func() bool
}

// Register adds the service to g.
func (s *Service) Register(g *grpc.Server) {
	g.RegisterService(&grpc.ServiceDesc{
		ServiceName: caapi.ServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Sign", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			req := &caapi.SignRequest{}
			if err := dec(req); err != nil {
				return nil, err
			}
			return s.sign(ctx, req)
		}}},
		Metadata: "meshbench/ca.json",
	}, s)
}

func (s *Service) sign(ctx context.Context, req *caapi.SignRequest) (*caapi.SignResponse, error) {
	resp, err := s.signAuthenticated(ctx, req)
	if err != nil {
		if s.Metrics != nil {
			s.Metrics.CertErrors.Inc()
		}
		if s.Log != nil {
			s.Log.Warn("certificate request refused", "node", req.NodeID, "error", err)
		}
		return nil, err
	}
	if s.Metrics != nil {
		s.Metrics.CertsIssued.Inc()
	}
	return resp, nil
}

func (s *Service) signAuthenticated(ctx context.Context, req *caapi.SignRequest) (*caapi.SignResponse, error) {
	if s.Ready != nil && !s.Ready() {
		return nil, status.Error(codes.Unavailable, ErrNotReady.Error())
	}
	token := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("authorization"); len(v) > 0 {
			token = strings.TrimPrefix(v[0], "Bearer ")
		}
	}
	id, err := s.Auth.Authenticate(ctx, token, req.NodeID)
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	cert, notAfter, err := s.CA.Sign(req.CSRPEM, id, time.Duration(req.TTLSeconds)*time.Second)
	if errors.Is(err, ErrBadCSR) {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &caapi.SignResponse{Identity: id, CertPEM: cert, RootPEM: s.CA.RootPEM(), NotAfter: notAfter}, nil
}
