package caapi

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
)

// ServiceName is the CA's gRPC service; its one method is Sign.
const ServiceName = "meshbench.ca.v1.CertificateService"

// SignMethod is the full gRPC method name of Sign.
const SignMethod = "/" + ServiceName + "/Sign"

// CodecName is the gRPC content-subtype of the CA's JSON messages.
const CodecName = "meshcajson"

type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (jsonCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
func (jsonCodec) Name() string                       { return CodecName }

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

// Sign calls the CA over conn with token as bearer credentials.
func Sign(ctx context.Context, conn grpc.ClientConnInterface, token string, req *SignRequest) (*SignResponse, error) {
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	resp := &SignResponse{}
	if err := conn.Invoke(ctx, SignMethod, req, resp, grpc.CallContentSubtype(CodecName)); err != nil {
		return nil, fmt.Errorf("ca: sign: %w", err)
	}
	return resp, nil
}
