package controlplane

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/meshbench/meshbench/internal/testbin"
	"github.com/meshbench/meshbench/mesh-under-test/xds"
)

// TestSimulatedProxiesUseTLS: under the default transport the scenario's
// meshcontrol serves ADS over TLS, and the simulated proxies' dial options
// (TLS against its root, the node's own token) get a proxy its clusters,
// while a plaintext client, or a proxy's credentials used for another
// node, is refused: the numbers include the cost real sidecars pay.
// Under ads_transport plaintext, plaintext is what answers.
func TestSimulatedProxiesUseTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs meshcontrol")
	}
	bin := filepath.Join(testbin.Dir(t), "meshcontrol")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	dir := t.TempDir()
	path := filepath.Join(dir, "mesh.json")
	require.NoError(t, newTopology(Size{Services: 3, Endpoints: 1, Proxies: 2}, 0, 1).mesh.WriteFile(path))

	plain := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	for _, tc := range []struct {
		transport string
		plain     codes.Code
	}{{ADSTLS, codes.Unavailable}, {ADSPlaintext, codes.OK}} {
		t.Run(tc.transport, func(t *testing.T) {
			mc, err := startMeshcontrol(ctx, bin, path, dir, nil, tc.transport)
			require.NoError(t, err)
			defer mc.stop()
			_, err = clusters(ctx, mc.addr, proxyID(0), plain)
			assert.Equal(t, tc.plain, status.Code(err), "plaintext client: %v", err)
			o, err := mc.secure(proxyID(0), xds.Options{})
			require.NoError(t, err)
			if tc.transport == ADSPlaintext {
				assert.Nil(t, o.TLS, "plaintext: xds.Options' default")
				return
			}
			own := []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(o.TLS)), grpc.WithPerRPCCredentials(headerCreds(o.Credentials))}
			resp, err := clusters(ctx, mc.addr, proxyID(0), own)
			require.NoError(t, err, "a simulated proxy dials as meshproxy --xds-ca does")
			assert.NotEmpty(t, resp.GetResources())
			_, err = clusters(ctx, mc.addr, proxyID(1), own)
			assert.Equal(t, codes.PermissionDenied, status.Code(err), "proxy-000's stream asking for proxy-001: %v", err)
		})
	}
}

// clusters opens an ADS stream as node and returns its first response.
func clusters(ctx context.Context, addr, node string, dial []grpc.DialOption) (*discoverygrpc.DiscoveryResponse, error) {
	conn, err := grpc.NewClient(addr, dial...)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := discoverygrpc.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return nil, err
	}
	if err := st.Send(&discoverygrpc.DiscoveryRequest{Node: &corev3.Node{Id: node}, TypeUrl: resource.ClusterType}); err != nil {
		if _, rerr := st.Recv(); rerr != nil {
			return nil, rerr
		}
		return nil, err
	}
	return st.Recv()
}

// headerCreds turns xds.Options.Credentials into grpc-go's per-RPC
// credentials, for this test's grpc-go client.
type headerCreds func() (map[string]string, error)

func (h headerCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return h()
}

func (headerCreds) RequireTransportSecurity() bool { return true }
