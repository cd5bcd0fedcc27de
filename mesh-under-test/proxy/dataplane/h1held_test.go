package dataplane

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"
)

// slowEcho echoes the request body; /slow answers after 100 ms, /hang
// after 2.5 s.
func slowEcho(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			time.Sleep(100 * time.Millisecond)
		case "/hang":
			time.Sleep(2500 * time.Millisecond)
		}
		_, _ = io.Copy(w, r.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func post(path, body string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body
}

// readBodies reads n responses and returns their bodies (status 200
// required).
func readBodies(t *testing.T, br *bufio.Reader, n int) []string {
	t.Helper()
	var out []string
	for range n {
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err, "a response is missing: the connection stalled or closed")
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		out = append(out, string(b))
	}
	return out
}

func dialProxy(t *testing.T, pa string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", pa)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second))) // a stalled connection fails the test, not hangs it
	return c, bufio.NewReader(c)
}

func write(t *testing.T, c net.Conn, parts ...string) {
	t.Helper()
	for i, p := range parts {
		if i > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		_, err := io.WriteString(c, p)
		require.NoError(t, err)
	}
}

// TestHeldReadsMissNothing: keep-alive requests served inside one held
// read registration (h1held.go) in every way they can arrive; a missed
// wake-up or end of stream would stall a connection (the 5 s deadline
// fails the test).
func TestHeldReadsMissNothing(t *testing.T) {
	_, pa := staticProxy(t, slowEcho(t))
	t.Run("pipelined in one segment", func(t *testing.T) {
		c, br := dialProxy(t, pa)
		write(t, c, post("/", "one")+"GET / HTTP/1.1\r\nHost: x\r\n\r\n"+post("/", "three"))
		assert.Equal(t, []string{"one", "", "three"}, readBodies(t, br, 3))
	})
	t.Run("split across segments, then whole again", func(t *testing.T) {
		c, br := dialProxy(t, pa)
		write(t, c, "POST / HTT", "P/1.1\r\nHost: x\r\nContent-Le", "ngth: 5\r\n\r\n", "spl", "it")
		assert.Equal(t, []string{"split"}, readBodies(t, br, 1))
		write(t, c, post("/", "whole"))
		assert.Equal(t, []string{"whole"}, readBodies(t, br, 1))
		write(t, c, post("/", "a")+"POST / HTTP/1.1\r\nHost: x\r\n", "Content-Length: 1\r\n\r\nb")
		assert.Equal(t, []string{"a", "b"}, readBodies(t, br, 2), "a pipelined head cut in two")
	})
	t.Run("a request arriving while the previous is served", func(t *testing.T) {
		c, br := dialProxy(t, pa)
		write(t, c, post("/slow", "first"))
		time.Sleep(30 * time.Millisecond) // the proxy is waiting for the upstream
		write(t, c, post("/", "second"))
		assert.Equal(t, []string{"first", "second"}, readBodies(t, br, 2))
		write(t, c, post("/", "third")) // after the response: the held wait
		assert.Equal(t, []string{"third"}, readBodies(t, br, 1))
	})
	t.Run("half-close right after the request", func(t *testing.T) {
		for _, pause := range []time.Duration{0, 30 * time.Millisecond} {
			c, br := dialProxy(t, pa)
			write(t, c, post("/", "bye"))
			time.Sleep(pause)
			require.NoError(t, c.(*net.TCPConn).CloseWrite())
			assert.Equal(t, []string{"bye"}, readBodies(t, br, 1))
			_, err := br.ReadByte()
			assert.ErrorIs(t, err, io.EOF, "the proxy closes once the client's end is read")
		}
	})
	t.Run("served whole, then a 1 MiB body, then whole", func(t *testing.T) {
		c, br := dialProxy(t, pa)
		write(t, c, post("/", "small"))
		assert.Equal(t, []string{"small"}, readBodies(t, br, 1))
		big := strings.Repeat("0123456789abcdef", 1<<16)
		go func() { _, _ = io.WriteString(c, post("/", big)) }()
		assert.Equal(t, []string{big}, readBodies(t, br, 1))
		write(t, c, post("/", "after"))
		assert.Equal(t, []string{"after"}, readBodies(t, br, 1))
	})
	t.Run("chunked and expect-continue leave for the blocking path and come back", func(t *testing.T) {
		c, br := dialProxy(t, pa)
		write(t, c, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", "0\r\n\r\n")
		assert.Equal(t, []string{"abc"}, readBodies(t, br, 1))
		write(t, c, "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "HTTP/1.1 100 Continue\r\n", line)
		_, _ = br.ReadString('\n')
		write(t, c, "ok")
		assert.Equal(t, []string{"ok"}, readBodies(t, br, 1))
		write(t, c, post("/", "held"))
		assert.Equal(t, []string{"held"}, readBodies(t, br, 1))
	})
	t.Run("malformed head after a good one", func(t *testing.T) {
		c, br := dialProxy(t, pa)
		write(t, c, post("/", "ok")+"GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n")
		assert.Equal(t, []string{"ok"}, readBodies(t, br, 1))
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		assert.Equal(t, 400, resp.StatusCode)
	})
}

// TestHeldHeadTimeout: a slow-loris head after requests served held still
// gets Envoy's 408 when request_headers_timeout passes.
func TestHeldHeadTimeout(t *testing.T) {
	pa := limitedProxy(t, Options{}, func(h *hcmv3.HttpConnectionManager) {
		h.RequestHeadersTimeout = durationpb.New(200 * time.Millisecond)
	})
	c, br := dialProxy(t, pa)
	for range 2 {
		write(t, c, post("/", "x"))
		readBodies(t, br, 1)
	}
	write(t, c, "GET / HTTP/1.1\r\nHo", "st: x\r\n") // never finished
	start := time.Now()
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, 408, resp.StatusCode)
	assert.Less(t, time.Since(start), 1500*time.Millisecond)
}

// TestShutdownWithHeldConnections: connections waiting between requests
// in a held registration are woken and closed by Shutdown; one whose
// request is in progress gets its response first; when Shutdown's context
// ends first, a request held on its upstream does not hold Shutdown up.
func TestShutdownWithHeldConnections(t *testing.T) {
	p, pa := staticProxy(t, slowEcho(t))
	var idle []*bufio.Reader
	for range 5 {
		c, br := dialProxy(t, pa)
		write(t, c, post("/", "x"))
		readBodies(t, br, 1)
		idle = append(idle, br)
	}
	busy, busyR := dialProxy(t, pa)
	write(t, busy, post("/slow", "in flight"))
	time.Sleep(30 * time.Millisecond)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	require.NoError(t, p.Shutdown(ctx))
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, []string{"in flight"}, readBodies(t, busyR, 1), "the request in progress is answered")
	for _, br := range append(idle, busyR) {
		_, err := br.ReadByte()
		assert.ErrorIs(t, err, io.EOF, "closed by Shutdown")
	}

	p2, pa2 := staticProxy(t, slowEcho(t))
	hung, _ := dialProxy(t, pa2)
	write(t, hung, post("/hang", "stuck"))
	time.Sleep(30 * time.Millisecond)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	start = time.Now()
	assert.Error(t, p2.Shutdown(ctx2), "the context ended first")
	assert.Less(t, time.Since(start), 2200*time.Millisecond, "Shutdown waited for a held request's upstream")
}
