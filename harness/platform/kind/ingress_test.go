package kind_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/cluster"
	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/platform/kind"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/testbin"
	kindconfig "github.com/meshbench/meshbench/kind-config"
)

// gatewayCounter is what the kube platform's ingress topologies offer.
type gatewayCounter interface {
	GatewayRequests(ctx context.Context) (float64, error)
}

// TestKindIngressLane runs mesh/ingress and mesh/ingress+both (with mTLS)
// briefly on a fresh one-node kind cluster and checks the load's path
// really crosses the gateway pod: its meshproxy_requests_total grows by
// the requests the load client completed. The cluster is deleted after.
// It needs Docker (make kind-host) and the node image (make node-image).
func TestKindIngressLane(t *testing.T) {
	image := needKind(t, kindconfig.OneNode)
	const name = "mb-gw-kube"
	bin := testbin.StaticDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	t.Cleanup(func() { _ = cluster.NewManager(slog.New(slog.DiscardHandler)).Delete(name, "") })
	if ok, _ := cluster.NewManager(slog.New(slog.DiscardHandler)).Exists(name); ok {
		t.Fatalf("kind cluster %s exists already (left by an earlier run?): delete it with meshbench cluster delete --name %s", name, name)
	}
	p, err := kind.New(ctx, kind.Options{Cluster: name, NodeImage: image, Config: "one-node", Binaries: platform.Binaries{
		Meshbench: filepath.Join(bin, "meshbench"), Meshproxy: filepath.Join(bin, "meshproxy"), Meshcontrol: filepath.Join(bin, "meshcontrol")}})
	require.NoError(t, err)
	defer func() { assert.NoError(t, p.Close(context.WithoutCancel(ctx))) }()

	for _, mode := range []string{platform.ModeIngress, platform.ModeIngressBoth} {
		t.Run(mode, func(t *testing.T) {
			top, err := p.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: mode,
				Case: results.Case{QPS: 100, Connections: 2, PayloadBytes: 64, Protocol: "http1", MTLS: true}, Mesh: platform.MeshOptions{Workers: 1, Telemetry: true}}) // the gateway's request counter is a per-request metric
			require.NoError(t, err)
			defer func() { assert.NoError(t, top.Down(context.WithoutCancel(ctx))) }()
			gw, ok := top.(gatewayCounter)
			require.True(t, ok, "the kind topology reports its gateway's requests")
			before, err := gw.GatewayRequests(ctx)
			require.NoError(t, err)
			rep, err := top.Load(ctx, load.Options{QPS: 100, Connections: 2, Duration: 2 * time.Second, PayloadBytes: 64, Timeout: 5 * time.Second})
			require.NoError(t, err)
			// 200 requests are scheduled; the first ones open the gateway's
			// and sidecar's connections (mTLS handshakes on a cold pod), and
			// CI's busy 2-core machine delayed 102 of 200 once, so this
			// checks that load flowed, not its rate: the gateway check below
			// is the point of the test.
			require.Greater(t, rep.Requests, int64(40), "100 qps for 2 s (achieved %.1f qps, fell behind %v %s)", rep.AchievedQPS, rep.FellBehind, rep.StarvedReason)
			assert.Zero(t, rep.Errors, "errors %v", rep.ErrorsByStatus)
			roles := map[string]bool{}
			for _, pr := range top.Probes() {
				roles[pr.Role()] = true
			}
			assert.True(t, roles[results.RoleGateway], "the gateway is a measured component")
			// The proxy counts a request after writing its response.
			assert.Eventually(t, func() bool {
				after, err := gw.GatewayRequests(ctx)
				return err == nil && after-before >= float64(rep.Requests)
			}, 10*time.Second, 200*time.Millisecond, "every request the load client completed crossed the gateway")
		})
	}
}
