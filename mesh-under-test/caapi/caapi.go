package caapi

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
)

// ServiceName is the CA's gRPC service; its one method is Sign.
const ServiceName = "meshbench.ca.v1.CertificateService"

// SignMethod is the full gRPC method name of Sign.
const SignMethod = "/" + ServiceName + "/Sign"

// CodecName is the gRPC content-subtype of the CA's JSON messages.
const CodecName = "meshcajson"

// JSONCodec is the CA's message codec (grpc-go's encoding.Codec, by its
// method set: this package does not import grpc-go, so the proxy does not
// link it). The server registers it (control/ca).
type JSONCodec struct{}

func (JSONCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (JSONCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
func (JSONCodec) Name() string                       { return CodecName }

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
func Sign(ctx context.Context, conn *grpcwire.Conn, token string, req *SignRequest) (*SignResponse, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("ca: sign: %w", err)
	}
	out, err := conn.Invoke(grpcwire.WithHeader(ctx, "authorization", "Bearer "+token), SignMethod, CodecName, b)
	if err != nil {
		return nil, fmt.Errorf("ca: sign: %w", err)
	}
	resp := &SignResponse{}
	if err := json.Unmarshal(out, resp); err != nil {
		return nil, fmt.Errorf("ca: sign: decode the response: %w", err)
	}
	return resp, nil
}
