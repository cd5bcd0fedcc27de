package xds_test

import (
	"context"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/meshbench/meshbench/mesh-under-test/xds"
)

// nodeServer records the node of every stream's first request, then ends
// the stream (the client reconnects; the test needs only the node).
type nodeServer struct {
	discoveryv3.UnimplementedAggregatedDiscoveryServiceServer
	nodes chan *corev3.Node
}

func (s *nodeServer) StreamAggregatedResources(st discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesServer) error {
	req, err := st.Recv()
	if err != nil {
		return err
	}
	s.nodes <- req.GetNode()
	return nil
}

func (s *nodeServer) DeltaAggregatedResources(st discoveryv3.AggregatedDiscoveryService_DeltaAggregatedResourcesServer) error {
	req, err := st.Recv()
	if err != nil {
		return err
	}
	s.nodes <- req.GetNode()
	return nil
}

// TestNodeMetadataOnFirstRequest: Options.Metadata reaches the server on
// the first request of a stream of either protocol (istiod reads the
// proxy's namespace, labels and version from it).
func TestNodeMetadataOnFirstRequest(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			srv := &nodeServer{nodes: make(chan *corev3.Node, 10)}
			addr, stop := serveGRPC(t, func(g *grpc.Server) { discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, srv) })
			defer stop()
			md, err := structpb.NewStruct(map[string]any{"NAMESPACE": "bench", "LABELS": map[string]any{"app": "a"}})
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c := xds.New(xds.Options{Addr: addr, NodeID: "sidecar~10.1.1.1~a.bench~bench.svc.cluster.local", Metadata: md, Protocol: protocol, BackoffMin: 10 * time.Millisecond})
			go func() { _ = c.Run(ctx, newRecorder()) }()
			select {
			case n := <-srv.nodes:
				assert.Equal(t, "sidecar~10.1.1.1~a.bench~bench.svc.cluster.local", n.GetId())
				assert.Equal(t, "bench", n.GetMetadata().GetFields()["NAMESPACE"].GetStringValue())
				assert.Equal(t, "a", n.GetMetadata().GetFields()["LABELS"].GetStructValue().GetFields()["app"].GetStringValue())
			case <-ctx.Done():
				t.Fatal("no request reached the server")
			}
		})
	}
}
