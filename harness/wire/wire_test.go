package wire

import (
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/httpsrv"
)

// TestWireLatencyOfAKnownDelay: a server that answers after a known delay,
// called over keep-alive: every request is paired once, and the wire's
// latency is the delay plus loopback time, never more than the client saw.
func TestWireLatencyOfAKnownDelay(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("packet capture needs Linux and root (CAP_NET_RAW)")
	}
	const delay = 5 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx := t.Context()
	go func() {
		_ = httpsrv.Serve(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(delay)
			_, _ = io.WriteString(w, "ok")
		}))
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	c, err := Start(port)
	require.NoError(t, err)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	const n = 40
	var seen []float64
	for range n {
		start := time.Now()
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		seen = append(seen, float64(time.Since(start))/1e6)
	}
	// No wait: a frame is queued on the capture before the client can
	// read it, and Stop reads what is queued.
	wire := c.Stop()
	require.Len(t, wire, n, "one pair per request")
	want := float64(delay) / 1e6
	for _, w := range wire {
		assert.GreaterOrEqual(t, w, want, "a response cannot cross before the delay ends")
	}
	// One connection, one request at a time: the i-th pair is the i-th
	// request, so each is bracketed by the delay and what the client saw
	// (a pair made of the wrong packets falls outside). Not a bound on how
	// long the server took: on a loaded machine its 5 ms sleep overran (a
	// median of 7.4 ms), the wire rightly said so.
	for i, w := range wire {
		assert.LessOrEqual(t, w, seen[i]+0.05, "request %d: the wire sees no more than the client (0.05 ms: clock bases)", i)
	}
	assert.LessOrEqual(t, stats.Median(wire), stats.Median(seen), "the wire sees no more than the client")
}

// TestCaptureQueuesOnlyItsPort: with traffic on another loopback port, the
// kernel's filter keeps every frame of it off the capture socket (they
// filled its buffer on a loaded machine and pairs were lost), while the
// capture's own port is still paired.
func TestCaptureQueuesOnlyItsPort(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("packet capture needs Linux and root (CAP_NET_RAW)")
	}
	ours := serve(t)
	other := serve(t)
	c, err := Start(ours)
	require.NoError(t, err)
	for _, port := range []int{other, ours, other} {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	wire := c.Stop()
	assert.Len(t, wire, 1, "the one request to the captured port")
	assert.Zero(t, c.foreign, "frames of another port reached the socket")
}

func serve(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() {
		_ = httpsrv.Serve(t.Context(), ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestParseTCP(t *testing.T) {
	// An lo frame: Ethernet (IPv4), IPv4 (20 bytes, total 60), TCP (32 bytes: options), 8 bytes of payload.
	f := make([]byte, 14+60)
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0], ip[2], ip[3], ip[9] = 0x45, 0, 60, 6
	tcp := ip[20:]
	tcp[0], tcp[1], tcp[2], tcp[3], tcp[12] = 0x9c, 0x40, 0x1f, 0x90, 8<<4
	src, dst, payload, ok := parseTCP(f)
	require.True(t, ok)
	assert.Equal(t, []int{40000, 8080, 8}, []int{int(src), int(dst), payload})

	f[12], f[13] = 0x08, 0x06 // ARP
	_, _, _, ok = parseTCP(f)
	assert.False(t, ok)
}

func TestStartRefusesBadPort(t *testing.T) {
	_, err := Start(0)
	assert.ErrorContains(t, err, "port 0")
}
