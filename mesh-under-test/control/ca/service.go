package ca

import (
	"context"
	"crypto/subtle"
	"encoding/json"
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

	"github.com/meshbench/meshbench/mesh-under-test/control/metrics"
)

// codecName is the gRPC content-subtype of the CA's JSON messages.
const codecName = "meshcajson"

type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (jsonCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
func (jsonCodec) Name() string                       { return codecName }

// gRPC picks codecs by content-subtype from a process-wide table, which can
// only be filled at init.
func init() { encoding.RegisterCodec(jsonCodec{}) }

// SignRequest asks for a workload certificate.
type SignRequest struct {
	NodeID     string `json:"node_id"`
	CSRPEM     []byte `json:"csr_pem"`
	TTLSeconds int64  `json:"ttl_seconds,omitempty"`
}

// SignResponse carries the certificate chain and trust bundle.
type SignResponse struct {
	Identity string    `json:"identity"`
	CertPEM  []byte    `json:"cert_pem"`
	RootPEM  []byte    `json:"root_pem"`
	NotAfter time.Time `json:"not_after"`
}

// Authenticator maps a caller's token (and claimed node) to the identity it
// may hold. Implementations must be safe for concurrent use.
type Authenticator interface {
	Authenticate(ctx context.Context, token, nodeID string) (identity string, err error)
}

// ErrUnauthenticated is returned by Authenticators for bad credentials.
var ErrUnauthenticated = errors.New("unauthenticated")

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
}

const serviceName = "meshbench.ca.v1.CertificateService"

// Register adds the service to g.
func (s *Service) Register(g *grpc.Server) {
	g.RegisterService(&grpc.ServiceDesc{
		ServiceName: serviceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Sign", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			req := &SignRequest{}
			if err := dec(req); err != nil {
				return nil, err
			}
			return s.sign(ctx, req)
		}}},
		Metadata: "meshbench/ca.json",
	}, s)
}

func (s *Service) sign(ctx context.Context, req *SignRequest) (*SignResponse, error) {
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

func (s *Service) signAuthenticated(ctx context.Context, req *SignRequest) (*SignResponse, error) {
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
	return &SignResponse{Identity: id, CertPEM: cert, RootPEM: s.CA.RootPEM(), NotAfter: notAfter}, nil
}

// Sign calls the CA over conn with token as bearer credentials.
func Sign(ctx context.Context, conn grpc.ClientConnInterface, token string, req *SignRequest) (*SignResponse, error) {
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	resp := &SignResponse{}
	if err := conn.Invoke(ctx, "/"+serviceName+"/Sign", req, resp, grpc.CallContentSubtype(codecName)); err != nil {
		return nil, fmt.Errorf("ca: sign: %w", err)
	}
	return resp, nil
}
