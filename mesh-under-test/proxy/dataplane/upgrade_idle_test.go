package dataplane

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// wsUpstream accepts upgrades (101) and then echoes every byte; closed
// receives once per tunnel the upstream saw end.
func wsUpstream(t *testing.T) (addr string, closed <-chan struct{}) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	ch := make(chan struct{}, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				if n, _ := c.Read(buf); !bytes.Contains(buf[:n], []byte("\r\n\r\n")) {
					return
				}
				_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
				_, _ = io.Copy(c, c)
				ch <- struct{}{}
			}()
		}
	}()
	return ln.Addr().String(), ch
}

// TestWebSocketIdleTimeout: a WebSocket tunnel (an Upgrade listed in
// upgrade_configs) in which no byte moves for the HCM's
// stream_idle_timeout is closed, towards the client and the upstream, as
// Envoy ends an upgraded stream; a tunnel whose frames keep coming faster
// than the timeout stays open past it. Before, a tunnel was relayed with no
// timeout at all: an idle WebSocket held both connections forever.
func TestWebSocketIdleTimeout(t *testing.T) {
	up, upClosed := wsUpstream(t)
	l := hcmListener(t, "ws", corev3.TrafficDirection_OUTBOUND, nil, vhost([]string{"*"}, prefixRoute("/", "up")))
	f := l.GetFilterChains()[0].GetFilters()[0]
	h := &hcmv3.HttpConnectionManager{}
	require.NoError(t, f.GetTypedConfig().UnmarshalTo(h))
	h.UpgradeConfigs = []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "websocket"}}
	h.StreamIdleTimeout = durationpb.New(slowIdle)
	f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: config.MustAny(h)}
	p := New(Options{Log: slog.New(slog.DiscardHandler)})
	require.NoError(t, p.Apply(context.Background(), xdsconfig.Resources{Clusters: []*clusterT{staticCluster(t, "up", up)}, Listeners: []*listenerT{l}}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	open := func(t *testing.T) net.Conn {
		c, err := net.Dial("tcp", p.Addr("ws"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
		_, err = io.WriteString(c, "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		require.NoError(t, err)
		head := make([]byte, 0, 256)
		b := make([]byte, 1)
		for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
			_, err := c.Read(b)
			require.NoError(t, err)
			head = append(head, b[0])
		}
		require.Contains(t, string(head), "101 Switching Protocols")
		return c
	}
	echo := func(t *testing.T, c net.Conn, msg string) {
		_, err := io.WriteString(c, msg)
		require.NoError(t, err)
		got := make([]byte, len(msg))
		_, err = io.ReadFull(c, got)
		require.NoError(t, err)
		require.Equal(t, msg, string(got))
	}

	t.Run("active tunnel stays open", func(t *testing.T) {
		c := open(t)
		start := time.Now()
		for time.Since(start) < 3*slowIdle { // never slowIdle without a frame
			echo(t, c, "ping")
			time.Sleep(slowIdle / 4)
		}
		echo(t, c, "still open")
	})
	t.Run("idle tunnel closed", func(t *testing.T) {
		for len(upClosed) > 0 { // the first subtest's tunnel
			<-upClosed
		}
		c := open(t)
		echo(t, c, "hello")
		start := time.Now()
		rest, err := io.ReadAll(c) // returns when the proxy closes the tunnel
		took := time.Since(start)
		require.NoError(t, err, "closed by the proxy, not by the test's 10 s deadline")
		assert.Empty(t, rest)
		assert.GreaterOrEqual(t, took, slowIdle*3/4, "not before the idle timeout (a sweep tick early at most)")
		assert.Less(t, took, 5*time.Second)
		select {
		case <-upClosed:
		case <-time.After(5 * time.Second):
			t.Fatal("the upstream side of the tunnel is still open")
		}
	})
}
