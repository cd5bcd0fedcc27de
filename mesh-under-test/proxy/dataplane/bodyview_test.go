package dataplane

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRetriedBodyFromReadBuffer: a buffered request body is sent upstream
// from the connection's read buffer (readBody) when it arrived whole. A
// retried POST must re-send its own body while the next pipelined request
// already sits behind it in that buffer, and a body that arrives in pieces
// (copied instead) must be re-sent whole too.
func TestRetriedBodyFromReadBuffer(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n%2 == 1 { // every request's first attempt fails
			w.WriteHeader(503)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	_, pa := startProxy(t, oneRoute(t, withRetry(prefixRoute("/", "up"), "5xx", 1), nil, staticCluster(t, "up", srv.Listener.Addr().String())))
	post := func(body string) string {
		return "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body
	}
	a, b, c := strings.Repeat("A", 1000), strings.Repeat("B", 700), strings.Repeat("C", 3000)
	conn, err := net.Dial("tcp", pa)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn, post(a)+post(b)) // pipelined, one segment
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	for _, want := range []string{a, b} {
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		got, _ := io.ReadAll(resp.Body)
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, want, string(got))
	}
	// a body in two pieces: the head and half the body, then the rest
	req := post(c)
	cut := len(req) - len(c)/2
	_, err = io.WriteString(conn, req[:cut])
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	_, err = io.WriteString(conn, req[cut:])
	require.NoError(t, err)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	got, _ := io.ReadAll(resp.Body)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, c, string(got))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{a, a, b, b, c, c}, bodies)
}
