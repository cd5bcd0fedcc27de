package xds_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// TestRemovedH2EndpointConnectionClosesAfterItsLastStream removes an
// HTTP/2 endpoint from the mesh file meshcontrol watches while a slow
// request is in flight on it, on both HTTP/2 paths of a real proxy fed
// over xDS: its connection gets GOAWAY semantics, as Envoy drains a
// removed host's HTTP/2 connections: the stream in flight completes with
// 200, every new request goes to the other endpoint over no new
// connection to the removed one, and the connection closes once that
// last stream has ended. (A removed HTTP/1.1 endpoint's busy connections
// are closed at once instead: upstream.Endpoint.Remove, docs/proxy.md.)
func TestRemovedH2EndpointConnectionClosesAfterItsLastStream(t *testing.T) {
	for _, path := range h2Paths {
		t.Run(path.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			protocol := meshconfig.ProtocolHTTP2
			a, b := startDrainUpstream(t, "A", protocol), startDrainUpstream(t, "B", protocol)
			outbound := freeAddr(t)
			meshPath := filepath.Join(t.TempDir(), "mesh.yaml")
			writeMesh(t, meshPath, drainMeshDoc(1, protocol, outbound, a.addr, "false"))
			inst := startControl(t, ctx, meshPath, "127.0.0.1:0")
			defer inst.Stop()
			startProxyOn(t, ctx, inst.Addr(), "client", 0, path.h2xnet)
			get := getter(clientFor(protocol, 15*time.Second), outbound)
			require.Eventually(t, func() bool { s, body, _ := get("/"); return s == 200 && body == "A" }, 10*time.Second, 20*time.Millisecond,
				"the proxy serves app from its one endpoint")
			slow := startSlow(t, get, a)
			require.Equal(t, int64(1), a.ln.open.Load(), "one HTTP/2 connection to A carries every stream")

			writeMesh(t, meshPath, drainMeshDoc(2, protocol, outbound, b.addr, "false")) // A removed
			require.Eventually(t, func() bool { _, body, _ := get("/"); return body == "B" }, 10*time.Second, 20*time.Millisecond,
				"the removal reached the proxy")
			allServedBy(t, get, 10, "B", "the removed endpoint")
			assert.Equal(t, int64(1), a.ln.accepted.Load(), "no new connection to the removed endpoint")
			select {
			case r := <-slow:
				t.Fatalf("the stream in flight on the removed endpoint ended before its response: %+v", r)
			default:
			}
			assert.Equal(t, int64(1), a.ln.open.Load(), "the removed endpoint's connection stays open while its stream runs")

			finishSlow(t, slow, a, "removed")
		})
	}
}
