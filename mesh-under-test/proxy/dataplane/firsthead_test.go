package dataplane

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// slowHead is what the slowloris scenario's clients have sent after 44
// of their one-byte writes (harness/resilience attack.go): never a whole head.
const slowHead = "GET /echo HTTP/1.1\r\nHost: echo\r\nX-Slow: aaaa"

// TestPartialHeadIsCheap: a connection whose first request head is not
// complete holds what it sent, not the reader and the forwarder's state.
// 300 connections send the start of a head at once (the slowloris
// scenario's opening, and the same clients a few seconds on); each may
// allocate and keep under 2 KB of heap. Before, the first byte took an
// 8 KB reader (9.2 KB per connection) and the third the HTTP/1.1
// forwarder's buffers (22 KB), so 500 slow-loris clients cost the proxy
// 4.5 and then 11 MB of fresh heap, and a garbage collection or two each
// time, while legitimate requests waited.
func TestPartialHeadIsCheap(t *testing.T) {
	for _, tc := range []struct{ name, sent string }{{"first byte", "G"}, {"three bytes", "GET"}, {"half a head", slowHead}} {
		sent := tc.sent
		t.Run(tc.name, func(t *testing.T) {
			p, addr := idleProxy(t)
			c := measureConns(t, p, addr, 300, sent)
			t.Logf("per connection that sent %q: %.1f allocations, %.0f B allocated, %.0f B heap and %.0f B stack held",
				sent, c.allocs, c.allocBytes, c.heldHeap, c.heldStack)
			assert.Less(t, c.allocBytes, 2048.0)
			assert.Less(t, c.heldHeap, 2048.0)
		})
	}
}

// BenchmarkPartialHeadConnection is the cost of one accepted connection
// that has sent half a request head and no more (a slow-loris client), in
// batches of 500, in the columns of BenchmarkIdleConnection.
func BenchmarkPartialHeadConnection(b *testing.B) {
	benchConns(b, slowHead)
}

// TestFirstHeadGathered: however a connection's first head arrives (a
// byte at a time, split at its last line, longer than the pooled buffer or
// than the budget, bare LFs), it is parsed and checked as one that arrives
// whole: answered, refused with the parser's status, or closed silently
// when the client gives up half-way.
func TestFirstHeadGathered(t *testing.T) {
	long := func(n int) string { return "X-Long: " + strings.Repeat("a", n) + "\r\n" }
	get := func(fields string) string {
		return "GET /g HTTP/1.1\r\nHost: x\r\n" + fields + "Connection: close\r\n\r\n"
	}
	tests := []struct {
		name       string
		set        func(*hcmv3.HttpConnectionManager)
		pieces     []string
		closeWrite bool
		want       string // prefix of everything the proxy sent
		body       string
	}{
		{name: "byte by byte", pieces: strings.Split(get(""), ""), want: "HTTP/1.1 200 "},
		{name: "head end split across reads, body with it",
			pieces: []string{"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r", "\nhello"},
			want:   "HTTP/1.1 200 ", body: "hello"},
		{name: "leading empty lines", pieces: []string{"\r\n\r\n", get("")}, want: "HTTP/1.1 200 "},
		{name: "bare LF lines", pieces: []string{"GET / HTTP/1.1\nHost: x\nConnection: close\n", "\n"}, want: "HTTP/1.1 200 "},
		{name: "longer than the pooled buffer", pieces: chunks(get(long(1500)), 100), want: "HTTP/1.1 200 "},
		{name: "longer than the budget", pieces: chunks(get(long(6000)), 500), want: "HTTP/1.1 200 "},
		{name: "over max_request_headers_kb",
			set:    func(h *hcmv3.HttpConnectionManager) { h.MaxRequestHeadersKb = wrapperspb.UInt32(1) },
			pieces: chunks(get(long(2000)), 100), want: "HTTP/1.1 431 "},
		{name: "malformed", pieces: []string{"GARBAGE\r\n", "\r\n"}, want: "HTTP/1.1 400 "},
		{name: "control character", pieces: []string{"GET / HTTP/1.1\r\nHost: x\r\nX-A: \x00\r\n", "\r\n"}, want: "HTTP/1.1 400 "},
		{name: "client gives up half-way", pieces: []string{"GET / HTTP/1.1\r\n", "Host: x\r\n"}, closeWrite: true, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := tc.set
			if set == nil {
				set = func(*hcmv3.HttpConnectionManager) {}
			}
			c, err := net.Dial("tcp", limitedProxy(t, Options{}, set))
			require.NoError(t, err)
			defer c.Close()
			for _, piece := range tc.pieces {
				_, err := io.WriteString(c, piece)
				require.NoError(t, err)
				time.Sleep(2 * time.Millisecond) // most pieces arrive alone
			}
			if tc.closeWrite {
				require.NoError(t, c.(*net.TCPConn).CloseWrite())
			}
			out, _ := readAll(t, c, 5*time.Second)
			if tc.want == "" {
				assert.Empty(t, out)
				return
			}
			assert.True(t, strings.HasPrefix(out, tc.want), "got %.80q", out)
			assert.True(t, strings.HasSuffix(out, "\r\n\r\n"+tc.body), "got %.80q", out)
		})
	}
}

// chunks cuts s into pieces of n bytes.
func chunks(s string, n int) []string {
	var out []string
	for len(s) > n {
		out, s = append(out, s[:n]), s[n:]
	}
	return append(out, s)
}
