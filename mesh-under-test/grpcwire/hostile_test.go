package grpcwire_test

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/meshbench/meshbench/mesh-under-test/grpcwire"
)

// h2cServer serves handler over HTTP/2 with prior knowledge, as a gRPC
// server's transport would, so a handler can break gRPC's rules at will.
func h2cServer(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http2.Server{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go srv.ServeConn(c, &http2.ServeConnOpts{Handler: handler})
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

func prefix(flag byte, n uint32) []byte {
	b := []byte{flag, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], n)
	return b
}

// grpcHead starts a gRPC response whose trailers the handler sets later.
func grpcHead(w http.ResponseWriter) {
	w.Header().Set("content-type", "application/grpc")
	w.Header().Set("trailer", "grpc-status, grpc-message")
	w.WriteHeader(http.StatusOK)
}

// TestHostileServers: every way a server can break gRPC's wire protocol
// is a clear error, returned promptly (no hang), for a unary call and for
// a stream alike; nothing is allocated for a length a server only claims.
func TestHostileServers(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"wrong content-type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("content-type", "text/html")
			_, _ = w.Write([]byte("<html>hello</html>"))
		}, `content-type "text/html": not a gRPC answer`},
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "HTTP status 404"},
		{"error status with message", func(w http.ResponseWriter, r *http.Request) {
			grpcHead(w)
			w.Header().Set("grpc-status", "13")
			w.Header().Set("grpc-message", "boom%20at%25 line 3")
		}, "status 13 (Internal): boom at% line 3"},
		{"trailers-only status", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("content-type", "application/grpc")
			w.Header().Set("grpc-status", "16")
			w.Header().Set("grpc-message", "who are you")
			w.WriteHeader(http.StatusOK)
		}, "status 16 (Unauthenticated): who are you"},
		{"oversized message prefix", func(w http.ResponseWriter, r *http.Request) {
			grpcHead(w)
			_, _ = w.Write(prefix(0, 1<<30))
			w.(http.Flusher).Flush()
			<-block // never sends the gigabyte: the client must not wait for it
		}, "message of 1073741824 bytes exceeds the limit of 4194304"},
		{"truncated message", func(w http.ResponseWriter, r *http.Request) {
			grpcHead(w)
			_, _ = w.Write(append(prefix(0, 100), make([]byte, 10)...))
			w.Header().Set("grpc-status", "0")
		}, "truncated message: 10 of 100 bytes"},
		{"truncated prefix", func(w http.ResponseWriter, r *http.Request) {
			grpcHead(w)
			_, _ = w.Write([]byte{0, 0, 0})
			w.Header().Set("grpc-status", "0")
		}, "truncated message prefix"},
		{"compressed message", func(w http.ResponseWriter, r *http.Request) {
			grpcHead(w)
			_, _ = w.Write(append(prefix(1, 3), 1, 2, 3))
			w.Header().Set("grpc-status", "0")
		}, "compressed messages are not accepted"},
		{"no status", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("content-type", "application/grpc")
			_, _ = w.Write(append(prefix(0, 2), 8, 1))
		}, "ended without a grpc-status"},
		{"malformed status", func(w http.ResponseWriter, r *http.Request) {
			grpcHead(w)
			w.Header().Set("grpc-status", "teapot")
		}, `malformed grpc-status "teapot"`},
		{"reset stream", func(w http.ResponseWriter, r *http.Request) {
			grpcHead(w)
			panic(http.ErrAbortHandler)
		}, "stream error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := grpcwire.New(grpcwire.Options{Addr: h2cServer(t, tc.handler)})
			require.NoError(t, err)
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = c.Invoke(ctx, "/test.S/Unary", "", []byte{8, 1})
			runtime.ReadMemStats(&after)
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.want)
			assert.NoError(t, ctx.Err(), "answered before the deadline")
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "allocated for a claimed length")

			st, err := c.NewStream(ctx, "/test.S/Stream")
			require.NoError(t, err)
			// The server may have ended the call already: Send then fails
			// and Recv says why.
			_ = st.Send([]byte{8, 1})
			var msgs int
			for {
				_, err = st.Recv()
				if err != nil {
					break
				}
				msgs++
			}
			assert.ErrorContains(t, err, tc.want)
			assert.NotEqual(t, io.EOF, err)
			assert.NoError(t, ctx.Err(), "answered before the deadline")
			st.Close()
		})
	}
}

// TestSilentServerIsAnErrorNotAHang: a server that accepts connections and
// never says a word fails the call within the dial timeout.
func TestSilentServerIsAnErrorNotAHang(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	c, err := grpcwire.New(grpcwire.Options{Addr: ln.Addr().String(), DialTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	start := time.Now()
	_, err = c.Invoke(context.Background(), "/test.S/Unary", "", nil)
	assert.ErrorContains(t, err, "did not answer an HTTP/2 ping within 300ms")
	_, err = c.NewStream(context.Background(), "/test.S/Stream")
	assert.ErrorContains(t, err, "did not answer an HTTP/2 ping")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, int32(2), accepted.Load(), "each call dials again")
}

// TestServerThatStopsAnsweringMidStream: with keepalive on, a stream whose
// connection goes silent (a frozen relay) fails after the ping timeout.
func TestServerThatStopsAnsweringMidStream(t *testing.T) {
	addr, _ := echoServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	frozen := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		defer up.Close()
		defer c.Close()
		go relayUntil(up, c, frozen)
		relayUntil(c, up, frozen)
		<-make(chan struct{}) // hold both sockets open, silent
	}()
	c, err := grpcwire.New(grpcwire.Options{Addr: ln.Addr().String(), KeepaliveTime: 200 * time.Millisecond, KeepaliveTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	defer c.Close()
	st, err := c.NewStream(context.Background(), "/test.Echo/Stream")
	require.NoError(t, err)
	require.NoError(t, st.Send(bytesMsg(t, "one")))
	_, err = st.Recv()
	require.NoError(t, err)
	close(frozen)
	start := time.Now()
	_, err = st.Recv()
	assert.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// relayUntil copies src to dst until frozen is closed, then reads and drops.
func relayUntil(dst, src net.Conn, frozen <-chan struct{}) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		select {
		case <-frozen:
			continue
		default:
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

// TestTLSWithoutH2IsRefused: a TLS server that does not negotiate h2 (an
// HTTP/1.1-only endpoint) is an error naming ALPN.
func TestTLSWithoutH2IsRefused(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.StartTLS()
	defer srv.Close()
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	c, err := grpcwire.New(grpcwire.Options{Addr: srv.Listener.Addr().String(), TLS: &tls.Config{RootCAs: roots}})
	require.NoError(t, err)
	_, err = c.Invoke(context.Background(), "/test.S/Unary", "", nil)
	// Go's TLS server refuses the handshake (no common protocol); one that
	// completes it without ALPN is refused by the client.
	assert.Regexp(t, `TLS handshake with .*no application protocol|did not negotiate HTTP/2 over TLS`, err)
}
