package xds_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/meshbench/meshbench/mesh-under-test/xds"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// hostileFront listens on 127.0.0.1 and answers its first connections
// badly, one way each (a server that never says a word, a web server, a
// gRPC server refusing the call, one that claims a gigabyte message), then
// relays every later connection to the real control plane at upstream.
func hostileFront(t *testing.T, upstream string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	h2 := &http2.Server{}
	serve := func(c net.Conn, h http.HandlerFunc) { h2.ServeConn(c, &http2.ServeConnOpts{Handler: h}) }
	hostile := []func(net.Conn){
		func(c net.Conn) { _, _ = io.Copy(io.Discard, c) },
		func(c net.Conn) {
			serve(c, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("content-type", "text/html")
				_, _ = w.Write([]byte("<html>"))
			})
		},
		func(c net.Conn) {
			serve(c, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("content-type", "application/grpc")
				w.Header().Set("grpc-status", "14")
				w.Header().Set("grpc-message", "overloaded, come back later")
			})
		},
		func(c net.Conn) {
			serve(c, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("content-type", "application/grpc")
				_, _ = w.Write([]byte{0, 0x40, 0, 0, 0})
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			})
		},
	}
	var n atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			i := int(n.Add(1)) - 1
			if i < len(hostile) {
				go func() { defer c.Close(); hostile[i](c) }()
				continue
			}
			go relay(c, upstream)
		}
	}()
	return ln.Addr().String()
}

func relay(c net.Conn, upstream string) {
	defer c.Close()
	up, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
}

// TestHostileControlPlanes: an ADS client meeting a control plane that
// breaks gRPC's protocol logs a clear reason, backs off and reconnects, and
// gets its configuration once a real one answers; it never hangs on a
// silent server and never allocates what a server only claims.
func TestHostileControlPlanes(t *testing.T) {
	for _, p := range protocols {
		t.Run(p, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			path := filepath.Join(t.TempDir(), "mesh.yaml")
			writeMesh(t, path, meshDoc(1, "127.0.0.1:9001"))
			inst := startControl(t, ctx, path, "127.0.0.1:0")
			defer inst.Stop()

			var logs bytes.Buffer // read once the client has stopped
			rec := newRecorder()
			c := xds.New(xds.Options{Addr: hostileFront(t, inst.Addr()), NodeID: "p1", Protocol: p,
				Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
				DialTimeout: 300 * time.Millisecond, BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond})
			start := time.Now()
			cctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- c.Run(cctx, rec) }()
			rec.waitFor(t, "config after the hostile servers", func(r xdsconfig.Resources) bool { return len(endpoints(r, "outbound|echo")) == 1 })
			assert.Less(t, time.Since(start), 8*time.Second)
			stop()
			require.NoError(t, <-done)
			assert.GreaterOrEqual(t, c.Stats().Reconnects, int64(4))
			out := logs.String()
			for _, want := range []string{
				"did not answer an HTTP/2 ping within 300ms",
				`content-type \"text/html\": not a gRPC answer`,
				"status 14 (Unavailable): overloaded, come back later",
				"message of 1073741824 bytes exceeds the limit of 4194304",
			} {
				assert.Contains(t, out, want)
			}
		})
	}
}
