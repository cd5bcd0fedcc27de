package dataplane

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

const slowIdle = 300 * time.Millisecond

// closedWithin reads (discarding) until the proxy closes c, and reports how
// long that took; it fails if c is still open after limit.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	require.NoError(t, c.SetReadDeadline(start.Add(limit)))
	_, err := io.Copy(io.Discard, c)
	took := time.Since(start)
	require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "still open after %v", limit)
	return took
}

// h2Request writes a POST on stream 1 whose body trickles one byte every
// 100 ms for longer than the idle timeout, then reads frames until the
// response ends: an open stream keeps the connection.
func h2Request(t *testing.T, c net.Conn, fr *http2.Framer) {
	t.Helper()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/"}, {":authority", "x"}} {
		require.NoError(t, enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}))
	}
	require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true}))
	for range 6 {
		time.Sleep(100 * time.Millisecond)
		require.NoError(t, fr.WriteData(1, false, []byte("a")))
	}
	require.NoError(t, fr.WriteData(1, true, nil))
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		f, err := fr.ReadFrame()
		require.NoError(t, err, "the connection with an open stream is not cut")
		if f.Header().StreamID == 1 && f.Header().Flags.Has(http2.FlagDataEndStream) {
			return
		}
	}
}

// TestHTTP2IdleTimeoutCutsSlowLoris: an HTTP/2 connection without an open
// stream is closed after the HCM's idle_timeout: one that sends the
// preface and then nothing, one whose header block never ends (no stream
// exists until it does), one idle after its request. A stream whose body
// keeps moving holds the connection past the timeout.
func TestHTTP2IdleTimeoutCutsSlowLoris(t *testing.T) {
	pa := limitedProxy(t, Options{}, func(h *hcmv3.HttpConnectionManager) {
		h.CommonHttpProtocolOptions = &corev3.HttpProtocolOptions{IdleTimeout: durationpb.New(slowIdle)}
	})
	tests := []struct {
		name string
		send func(t *testing.T, c net.Conn, fr *http2.Framer)
	}{
		{"preface then nothing", func(*testing.T, net.Conn, *http2.Framer) {}},
		{"unfinished header block", func(t *testing.T, _ net.Conn, fr *http2.Framer) {
			var hb bytes.Buffer
			require.NoError(t, hpack.NewEncoder(&hb).WriteField(hpack.HeaderField{Name: ":method", Value: "GET"}))
			require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes()}))
		}},
		{"idle after a request", h2Request},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", pa)
			require.NoError(t, err)
			defer c.Close()
			_, err = io.WriteString(c, http2.ClientPreface)
			require.NoError(t, err)
			fr := http2.NewFramer(c, c)
			require.NoError(t, fr.WriteSettings())
			tc.send(t, c, fr)
			took := closedWithin(t, c, 5*time.Second)
			assert.Greater(t, took, slowIdle/2, "not before the idle timeout")
		})
	}
}

// TestTCPIdleTimeoutCutsSilentClients: a tcp_proxy connection is closed
// once no byte moved either way for its idle_timeout, both sides at once: a
// client that connects and sends nothing, and a relay gone quiet. Bytes
// moving every 100 ms keep it open past the timeout.
func TestTCPIdleTimeoutCutsSilentClients(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	upClosed := make(chan struct{}, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); _ = c.Close(); upClosed <- struct{}{} }() // echo
		}
	}()
	_, pa := startProxy(t, tcpIdleResources(t, ln.Addr().String(), slowIdle))

	t.Run("silent client", func(t *testing.T) {
		c, err := net.Dial("tcp", pa)
		require.NoError(t, err)
		defer c.Close()
		assert.Greater(t, closedWithin(t, c, 5*time.Second), slowIdle/2)
	})
	t.Run("active then quiet", func(t *testing.T) {
		c, err := net.Dial("tcp", pa)
		require.NoError(t, err)
		defer c.Close()
		buf := make([]byte, 1)
		for range 8 { // 800 ms of traffic, well past the timeout
			_, err := c.Write([]byte("x"))
			require.NoError(t, err)
			require.NoError(t, c.SetReadDeadline(time.Now().Add(2*time.Second)))
			_, err = io.ReadFull(c, buf)
			require.NoError(t, err, "the relay is open while bytes move")
			time.Sleep(100 * time.Millisecond)
		}
		assert.Greater(t, closedWithin(t, c, 5*time.Second), slowIdle/2)
		select {
		case <-upClosed: // the upstream side was closed too
		case <-time.After(2 * time.Second):
			t.Error("the upstream connection is still open")
		}
	})
}

// h2Outcome reads frames until stream 1 ends and returns its :status ("")
// when it was reset instead) and how long that took.
func h2Outcome(t *testing.T, c net.Conn, fr *http2.Framer) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	require.NoError(t, c.SetReadDeadline(start.Add(5*time.Second)))
	status, _ := h2StreamOutcome(t, fr, 1)
	return status, time.Since(start)
}

// TestHTTP2StreamIdleTimeoutCutsStalledBody: an HTTP/2 request whose body
// stops moving for the HCM's stream_idle_timeout ends (the open stream
// kept the connection busy, so only this cuts it); a body that keeps
// trickling faster than the timeout is forwarded whole.
func TestHTTP2StreamIdleTimeoutCutsStalledBody(t *testing.T) {
	pa := limitedProxy(t, Options{}, func(h *hcmv3.HttpConnectionManager) {
		h.StreamIdleTimeout = durationpb.New(slowIdle)
	})
	open := func(t *testing.T) (net.Conn, *http2.Framer) {
		c, err := net.Dial("tcp", pa)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		_, err = io.WriteString(c, http2.ClientPreface)
		require.NoError(t, err)
		fr := http2.NewFramer(c, c)
		require.NoError(t, fr.WriteSettings())
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/"}, {":authority", "x"}} {
			require.NoError(t, enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}))
		}
		require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true}))
		return c, fr
	}
	t.Run("stalled body", func(t *testing.T) {
		c, fr := open(t)
		require.NoError(t, fr.WriteData(1, false, []byte("a")))
		status, took := h2Outcome(t, c, fr)
		assert.NotEqual(t, "200", status, "a stalled body is not answered as a success")
		assert.Greater(t, took, slowIdle/2, "not before the stream idle timeout")
	})
	t.Run("trickling body", func(t *testing.T) {
		c, fr := open(t)
		for range 6 { // 600 ms in all, never 300 ms without a byte
			require.NoError(t, fr.WriteData(1, false, []byte("a")))
			time.Sleep(100 * time.Millisecond)
		}
		require.NoError(t, fr.WriteData(1, true, nil))
		status, _ := h2Outcome(t, c, fr)
		assert.Equal(t, "200", status)
	})
}

// TestTCPIdleTimeoutCutsAClientThatStopsReading: an upstream sends while
// the client reads nothing; once the socket buffers are full no byte
// moves, and the idle timeout closes both sides. The relay's upstream ->
// client direction is then inside a held read of the upstream socket
// (copyHeld), waiting in its write to the client: the cut closes the
// client side first, which ends that write, and only then the upstream
// side (a Close waits while a held read's step runs, so the other order
// would wait for this client forever).
func TestTCPIdleTimeoutCutsAClientThatStopsReading(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	upClosed := make(chan struct{}, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		chunk := make([]byte, 64<<10)
		for range 4096 { // at most 256 MiB: far past any socket buffer
			if _, err := c.Write(chunk); err != nil {
				upClosed <- struct{}{}
				return
			}
		}
	}()
	_, pa := startProxy(t, tcpIdleResources(t, ln.Addr().String(), slowIdle))

	c, err := net.Dial("tcp", pa)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.(*net.TCPConn).SetReadBuffer(4096))
	_, err = c.Write([]byte("x")) // the relay is up; from now on the client only waits
	require.NoError(t, err)
	select {
	case <-upClosed:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream connection is still open 10 s after the client stopped reading")
	}
}

// tcpIdleResources is tcpResources with the tcp_proxy's idle_timeout set.
func tcpIdleResources(t *testing.T, upstream string, idle time.Duration) xdsconfig.Resources {
	t.Helper()
	res := tcpResources(t, upstream)
	f := res.Listeners[0].GetFilterChains()[0].GetFilters()[0]
	tp := &tcpv3.TcpProxy{}
	require.NoError(t, f.GetTypedConfig().UnmarshalTo(tp))
	tp.IdleTimeout = durationpb.New(idle)
	f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: config.MustAny(tp)}
	return res
}
