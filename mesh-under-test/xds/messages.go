package xds

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// The four ADS messages (envoy.service.discovery.v3), encoded and decoded
// here with protowire for the fields this client uses. Why not
// go-control-plane's generated discoveryv3 types: their package also holds
// the gRPC service stubs, so importing it links google.golang.org/grpc
// into the proxy (issue 15). The field numbers are the proto's;
// messages_test.go checks every one against the generated types both ways.

// ADS's method names.
const (
	methodSotW  = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
	methodDelta = "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources"
)

// codeInvalidArgument is gRPC's InvalidArgument, the code of a NACK.
const codeInvalidArgument = 3

// errorDetail is a google.rpc.Status (code, message) on a NACK.
type errorDetail struct {
	Code    int32
	Message string
}

// discoveryRequest is a DiscoveryRequest.
type discoveryRequest struct {
	VersionInfo   string       // 1
	Node          *corev3.Node // 2
	ResourceNames []string     // 3
	TypeURL       string       // 4
	ResponseNonce string       // 5
	ErrorDetail   *errorDetail // 6
}

// discoveryResponse is a DiscoveryResponse.
type discoveryResponse struct {
	VersionInfo string       // 1
	Resources   []*anypb.Any // 2
	TypeURL     string       // 4
	Nonce       string       // 5
	size        int          // encoded bytes
}

// deltaRequest is a DeltaDiscoveryRequest.
type deltaRequest struct {
	Node                    *corev3.Node      // 1
	TypeURL                 string            // 2
	Subscribe               []string          // 3
	Unsubscribe             []string          // 4
	InitialResourceVersions map[string]string // 5
	ResponseNonce           string            // 6
	ErrorDetail             *errorDetail      // 7
}

// deltaResource is a Resource of a delta response.
type deltaResource struct {
	Version  string     // 1
	Resource *anypb.Any // 2
	Name     string     // 3
}

// deltaResponse is a DeltaDiscoveryResponse.
type deltaResponse struct {
	SystemVersionInfo string          // 1
	Resources         []deltaResource // 2
	TypeURL           string          // 4
	Nonce             string          // 5
	RemovedResources  []string        // 6
	size              int             // encoded bytes
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendNode(b []byte, num protowire.Number, n *corev3.Node) ([]byte, error) {
	if n == nil {
		return b, nil
	}
	m, err := proto.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("encode node: %w", err)
	}
	return appendBytes(b, num, m), nil
}

func appendError(b []byte, num protowire.Number, e *errorDetail) []byte {
	if e == nil {
		return b
	}
	var m []byte
	if e.Code != 0 {
		m = protowire.AppendTag(m, 1, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(int64(e.Code)))
	}
	m = appendString(m, 2, e.Message)
	return appendBytes(b, num, m)
}

func (r *discoveryRequest) marshal() ([]byte, error) {
	b := appendString(nil, 1, r.VersionInfo)
	b, err := appendNode(b, 2, r.Node)
	if err != nil {
		return nil, err
	}
	for _, n := range r.ResourceNames {
		b = appendBytes(b, 3, []byte(n))
	}
	b = appendString(b, 4, r.TypeURL)
	b = appendString(b, 5, r.ResponseNonce)
	return appendError(b, 6, r.ErrorDetail), nil
}

func (r *deltaRequest) marshal() ([]byte, error) {
	b, err := appendNode(nil, 1, r.Node)
	if err != nil {
		return nil, err
	}
	b = appendString(b, 2, r.TypeURL)
	for _, n := range r.Subscribe {
		b = appendBytes(b, 3, []byte(n))
	}
	for _, n := range r.Unsubscribe {
		b = appendBytes(b, 4, []byte(n))
	}
	for k, v := range r.InitialResourceVersions {
		// A map entry is a message: key 1, value 2 (both always written, as
		// the generated code does).
		e := protowire.AppendTag(nil, 1, protowire.BytesType)
		e = protowire.AppendString(e, k)
		e = protowire.AppendTag(e, 2, protowire.BytesType)
		e = protowire.AppendString(e, v)
		b = appendBytes(b, 5, e)
	}
	b = appendString(b, 6, r.ResponseNonce)
	return appendError(b, 7, r.ErrorDetail), nil
}

// fields walks a message's fields, calling f with each length-delimited
// one (num, its bytes); other wire types are skipped. Any malformed input
// is an error.
func fields(b []byte, what string, f func(num protowire.Number, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("decode %s: %w", what, protowire.ParseError(n))
		}
		b = b[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return fmt.Errorf("decode %s: field %d: %w", what, num, protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return fmt.Errorf("decode %s: field %d: %w", what, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := f(num, v); err != nil {
			return err
		}
	}
	return nil
}

// decodeAny decodes a google.protobuf.Any (type_url 1, value 2).
func decodeAny(b []byte) (*anypb.Any, error) {
	a := &anypb.Any{}
	err := fields(b, "Any", func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			a.TypeUrl = string(v)
		case 2:
			a.Value = v
		}
		return nil
	})
	return a, err
}

func (r *discoveryResponse) unmarshal(b []byte) error {
	return fields(b, "DiscoveryResponse", func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			r.VersionInfo = string(v)
		case 2:
			a, err := decodeAny(v)
			if err != nil {
				return err
			}
			r.Resources = append(r.Resources, a)
		case 4:
			r.TypeURL = string(v)
		case 5:
			r.Nonce = string(v)
		}
		return nil
	})
}

func (r *deltaResponse) unmarshal(b []byte) error {
	return fields(b, "DeltaDiscoveryResponse", func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			r.SystemVersionInfo = string(v)
		case 2:
			var res deltaResource
			err := fields(v, "Resource", func(num protowire.Number, v []byte) error {
				var err error
				switch num {
				case 1:
					res.Version = string(v)
				case 2:
					res.Resource, err = decodeAny(v)
				case 3:
					res.Name = string(v)
				}
				return err
			})
			if err != nil {
				return err
			}
			r.Resources = append(r.Resources, res)
		case 4:
			r.TypeURL = string(v)
		case 5:
			r.Nonce = string(v)
		case 6:
			r.RemovedResources = append(r.RemovedResources, string(v))
		}
		return nil
	})
}
