package xds

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
)

// The hand-written codecs of the four ADS messages against
// go-control-plane's generated types: what this client encodes, the
// generated type decodes field for field, and what a server encodes
// (every field set, the ones this client ignores too) this client decodes.

func node() *corev3.Node {
	md, _ := structpb.NewStruct(map[string]any{"NAMESPACE": "default", "n": 1.0})
	return &corev3.Node{Id: "sidecar~10.0.0.1~app.default", UserAgentName: "meshproxy", Metadata: md}
}

func TestDiscoveryRequestEncoding(t *testing.T) {
	for name, r := range map[string]*discoveryRequest{
		"empty":   {},
		"initial": {Node: node(), TypeURL: "type.googleapis.com/envoy.config.cluster.v3.Cluster", VersionInfo: "v1"},
		"ack":     {TypeURL: "t", VersionInfo: "7", ResponseNonce: "n7", ResourceNames: []string{"a", "", "ü"}},
		"nack":    {TypeURL: "t", ResponseNonce: "n", ErrorDetail: &errorDetail{Code: codeInvalidArgument, Message: "bad listener"}},
	} {
		b, err := r.marshal()
		require.NoError(t, err, name)
		got := &discoveryv3.DiscoveryRequest{}
		require.NoError(t, proto.Unmarshal(b, got), name)
		want := &discoveryv3.DiscoveryRequest{VersionInfo: r.VersionInfo, Node: r.Node, ResourceNames: r.ResourceNames, TypeUrl: r.TypeURL, ResponseNonce: r.ResponseNonce}
		if r.ErrorDetail != nil {
			want.ErrorDetail = &status.Status{Code: r.ErrorDetail.Code, Message: r.ErrorDetail.Message}
		}
		assert.True(t, proto.Equal(want, got), "%s: %v", name, got)
	}
}

func TestDeltaRequestEncoding(t *testing.T) {
	for name, r := range map[string]*deltaRequest{
		"empty":   {},
		"initial": {Node: node(), TypeURL: "t", InitialResourceVersions: map[string]string{"a": "1", "b": "", "": "x"}},
		"move":    {TypeURL: "t", Subscribe: []string{"x", "y"}, Unsubscribe: []string{"z"}},
		"nack":    {TypeURL: "t", ResponseNonce: "n", ErrorDetail: &errorDetail{Code: codeInvalidArgument, Message: "no"}},
	} {
		b, err := r.marshal()
		require.NoError(t, err, name)
		got := &discoveryv3.DeltaDiscoveryRequest{}
		require.NoError(t, proto.Unmarshal(b, got), name)
		want := &discoveryv3.DeltaDiscoveryRequest{Node: r.Node, TypeUrl: r.TypeURL, ResourceNamesSubscribe: r.Subscribe,
			ResourceNamesUnsubscribe: r.Unsubscribe, InitialResourceVersions: r.InitialResourceVersions, ResponseNonce: r.ResponseNonce}
		if r.ErrorDetail != nil {
			want.ErrorDetail = &status.Status{Code: r.ErrorDetail.Code, Message: r.ErrorDetail.Message}
		}
		assert.True(t, proto.Equal(want, got), "%s: %v", name, got)
	}
}

func anyOf(t *testing.T, m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	require.NoError(t, err)
	return a
}

func TestDiscoveryResponseDecoding(t *testing.T) {
	in := &discoveryv3.DiscoveryResponse{
		VersionInfo: "v9", TypeUrl: "type.googleapis.com/envoy.config.core.v3.Node", Nonce: "n9", Canary: true,
		Resources:    []*anypb.Any{anyOf(t, node()), anyOf(t, &corev3.Node{Id: "two"})},
		ControlPlane: &corev3.ControlPlane{Identifier: "meshcontrol"},
	}
	b, err := proto.Marshal(in)
	require.NoError(t, err)
	var got discoveryResponse
	require.NoError(t, got.unmarshal(b))
	assert.Equal(t, "v9", got.VersionInfo)
	assert.Equal(t, in.TypeUrl, got.TypeURL)
	assert.Equal(t, "n9", got.Nonce)
	require.Len(t, got.Resources, 2)
	for i := range in.Resources {
		assert.True(t, proto.Equal(in.Resources[i], got.Resources[i]))
	}
}

func TestDeltaResponseDecoding(t *testing.T) {
	in := &discoveryv3.DeltaDiscoveryResponse{
		SystemVersionInfo: "s3", TypeUrl: "t", Nonce: "n3", RemovedResources: []string{"gone", "also"},
		Resources: []*discoveryv3.Resource{
			{Name: "a", Version: "1", Resource: anyOf(t, node()), Aliases: []string{"x"}, Ttl: durationpb.New(5)},
			{Name: "b", Version: "2", Resource: anyOf(t, &corev3.Node{Id: "b"})},
		},
	}
	b, err := proto.Marshal(in)
	require.NoError(t, err)
	var got deltaResponse
	require.NoError(t, got.unmarshal(b))
	assert.Equal(t, "s3", got.SystemVersionInfo)
	assert.Equal(t, "t", got.TypeURL)
	assert.Equal(t, "n3", got.Nonce)
	assert.Equal(t, []string{"gone", "also"}, got.RemovedResources)
	require.Len(t, got.Resources, 2)
	for i, r := range in.Resources {
		assert.Equal(t, r.Name, got.Resources[i].Name)
		assert.Equal(t, r.Version, got.Resources[i].Version)
		assert.True(t, proto.Equal(r.Resource, got.Resources[i].Resource))
	}
}

// TestMalformedResponsesAreErrors: truncated or garbled bytes from a
// server are decode errors (the stream then ends and reconnects), never a
// panic.
func TestMalformedResponsesAreErrors(t *testing.T) {
	good, err := proto.Marshal(&discoveryv3.DiscoveryResponse{VersionInfo: "v", Resources: []*anypb.Any{anyOf(t, node())}, Nonce: "n"})
	require.NoError(t, err)
	for name, b := range map[string][]byte{
		"truncated":           good[:len(good)-2],
		"truncated resource":  good[:10],
		"length past the end": {0x12, 0x7f, 0x01},
		"bad tag":             {0x00},
		"bad varint":          {0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	} {
		assert.Error(t, (&discoveryResponse{}).unmarshal(b), name)
		assert.Error(t, (&deltaResponse{}).unmarshal(b), name)
	}
}

func FuzzResponseDecoding(f *testing.F) {
	good, _ := proto.Marshal(&discoveryv3.DeltaDiscoveryResponse{SystemVersionInfo: "v", Resources: []*discoveryv3.Resource{{Name: "a"}}})
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = (&discoveryResponse{}).unmarshal(b)
		_ = (&deltaResponse{}).unmarshal(b)
	})
}
