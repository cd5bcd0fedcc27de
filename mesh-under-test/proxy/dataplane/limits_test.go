package dataplane

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// limitedProxy starts a proxy whose one listener's HTTP connection manager
// is edited by set, in front of an echo upstream.
func limitedProxy(t *testing.T, opts Options, set func(*hcmv3.HttpConnectionManager)) string {
	up, _ := echoServer(t)
	l := hcmListener(t, "lim", corev3.TrafficDirection_OUTBOUND, nil, vhost([]string{"*"}, prefixRoute("/", "up")))
	f := l.GetFilterChains()[0].GetFilters()[0]
	h := &hcmv3.HttpConnectionManager{}
	require.NoError(t, f.GetTypedConfig().UnmarshalTo(h))
	set(h)
	f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: config.MustAny(h)}
	r := xdsconfig.Resources{Clusters: []*clusterT{staticCluster(t, "up", up.Listener.Addr().String())}, Listeners: []*listenerT{l}}
	opts.Log = slog.New(slog.DiscardHandler)
	opts.H2XNet = opts.H2XNet || testH2XNet
	p := New(opts)
	require.NoError(t, p.Apply(context.Background(), r))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return p.Addr("lim")
}

// readAll reads what the proxy sends until it closes the connection (or
// the deadline passes) and how long that took.
func readAll(t *testing.T, c net.Conn, within time.Duration) (string, time.Duration) {
	start := time.Now()
	require.NoError(t, c.SetReadDeadline(start.Add(within)))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Logf("read: %v", err)
	}
	return string(b), time.Since(start)
}

func TestRequestHeadersTimeoutCutsSlowLoris(t *testing.T) {
	pa := limitedProxy(t, Options{}, func(h *hcmv3.HttpConnectionManager) {
		h.RequestHeadersTimeout = durationpb.New(200 * time.Millisecond)
	})
	c, err := net.Dial("tcp", pa)
	require.NoError(t, err)
	defer c.Close()
	// a head trickled one byte per 20 ms never completes within the limit
	go func() {
		for _, b := range []byte("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("s", 100)) {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	out, took := readAll(t, c, 3*time.Second)
	assert.True(t, strings.HasPrefix(out, "HTTP/1.1 408 "), "got %q", out)
	assert.Less(t, took, 1500*time.Millisecond)
}

func TestIdleTimeoutClosesIdleKeepAlive(t *testing.T) {
	pa := limitedProxy(t, Options{}, func(h *hcmv3.HttpConnectionManager) {
		h.CommonHttpProtocolOptions = &corev3.HttpProtocolOptions{IdleTimeout: durationpb.New(500 * time.Millisecond)}
	})
	c, err := net.Dial("tcp", pa)
	require.NoError(t, err)
	defer c.Close()
	br := bufio.NewReader(c)
	// Requests 50 ms apart, within the 500 ms idle timeout (a margin for a
	// loaded machine's stalls), keep the connection.
	for range 3 {
		_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		assert.Equal(t, 200, resp.StatusCode)
		time.Sleep(50 * time.Millisecond)
	}
	start := time.Now()
	require.NoError(t, c.SetReadDeadline(start.Add(3*time.Second)))
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "closed by the proxy")
	assert.Less(t, time.Since(start), 1500*time.Millisecond)
	assert.Greater(t, time.Since(start), 300*time.Millisecond, "not long before the idle timeout (500 ms from the last answer, 50 ms before start)")
}

func TestConnectionCap(t *testing.T) {
	pa := limitedProxy(t, Options{MaxConnections: 2}, func(*hcmv3.HttpConnectionManager) {})
	dial := func() net.Conn {
		c, err := net.Dial("tcp", pa)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	held := []net.Conn{dial(), dial()}
	for _, c := range held { // accepted: each has had an answer, and stays open
		_, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
	}
	over := dial()
	out, took := readAll(t, over, 3*time.Second)
	assert.Empty(t, out)
	assert.Less(t, took, time.Second, "the third connection is closed at once")
	require.NoError(t, held[0].Close())
	require.Eventually(t, func() bool {
		c := dial()
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		out, _ := readAll(t, c, 2*time.Second)
		return strings.HasPrefix(out, "HTTP/1.1 200 ")
	}, 3*time.Second, 50*time.Millisecond, "a slot freed by a closed connection is usable")
}

func TestHeadLimitsFromHCM(t *testing.T) {
	tests := []struct {
		name string
		set  func(*hcmv3.HttpConnectionManager)
		req  string
		want string
	}{
		{"max_headers_count", func(h *hcmv3.HttpConnectionManager) {
			h.CommonHttpProtocolOptions = &corev3.HttpProtocolOptions{MaxHeadersCount: wrapperspb.UInt32(3)}
		}, "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", "HTTP/1.1 431 "},
		{"max_request_headers_kb", func(h *hcmv3.HttpConnectionManager) { h.MaxRequestHeadersKb = wrapperspb.UInt32(1) },
			"GET / HTTP/1.1\r\nHost: x\r\nA: " + strings.Repeat("a", 1024) + "\r\n\r\n", "HTTP/1.1 431 "},
		{"headers_with_underscores_action REJECT_REQUEST", func(h *hcmv3.HttpConnectionManager) {
			h.CommonHttpProtocolOptions = &corev3.HttpProtocolOptions{HeadersWithUnderscoresAction: corev3.HttpProtocolOptions_REJECT_REQUEST}
		}, "GET / HTTP/1.1\r\nHost: x\r\nX_Secret: 1\r\n\r\n", "HTTP/1.1 400 "},
		{"headers_with_underscores_action DROP_HEADER", func(h *hcmv3.HttpConnectionManager) {
			h.CommonHttpProtocolOptions = &corev3.HttpProtocolOptions{HeadersWithUnderscoresAction: corev3.HttpProtocolOptions_DROP_HEADER}
		}, "GET / HTTP/1.1\r\nHost: x\r\nX_Secret: b\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 "}, // dropped: conformance suite
		{"defaults allow 99 fields", func(*hcmv3.HttpConnectionManager) {},
			"GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("A: 1\r\n", 98) + "Connection: close\r\n\r\n", "HTTP/1.1 200 "},
		{"defaults refuse 101 fields", func(*hcmv3.HttpConnectionManager) {},
			"GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("A: 1\r\n", 100) + "\r\n", "HTTP/1.1 431 "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pa := limitedProxy(t, Options{}, tc.set)
			c, err := net.Dial("tcp", pa)
			require.NoError(t, err)
			defer c.Close()
			_, err = io.WriteString(c, tc.req)
			require.NoError(t, err)
			out, _ := readAll(t, c, 3*time.Second)
			assert.Contains(t, out, tc.want)
		})
	}
}
