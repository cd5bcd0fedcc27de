package dataplane

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileUpstream answers each request with a response whose body is the
// request path, then sends one more, unrequested response ("INJECTED"),
// either in the same write or after a pause (so it arrives while the
// connection sits idle in the proxy's pool).
func hostileUpstream(t *testing.T, pause time.Duration) (string, <-chan struct{}) {
	sent := make(chan struct{}, 16) // one per extra response written
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	const extra = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nINJECTED"
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					resp := "HTTP/1.1 200 OK\r\nContent-Length: " + itoa(len(req.URL.Path)) + "\r\n\r\n" + req.URL.Path
					if pause == 0 {
						resp += extra
					}
					if _, err := io.WriteString(c, resp); err != nil {
						return
					}
					if pause > 0 {
						time.Sleep(pause)
						_, _ = io.WriteString(c, extra)
					}
					sent <- struct{}{}
				}
			}()
		}
	}()
	return ln.Addr().String(), sent
}

// TestPooledConnectionWithExtraResponseIsNotReused: an upstream that sends
// one response too many must not shift later clients onto each other's
// responses; the proxy closes such a connection (unread bytes at Put, or
// bytes that arrived while it was idle).
func TestPooledConnectionWithExtraResponseIsNotReused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pause time.Duration
	}{{"extra response in the same write", 0}, {"extra response while idle", 20 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			up, sent := hostileUpstream(t, tc.pause)
			_, pa := staticProxy(t, up)
			for _, client := range []string{"/a", "/b", "/c", "/d", "/e"} {
				// each client on its own downstream connection
				c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
				resp, err := c.Get("http://" + pa + client)
				require.NoError(t, err)
				b, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				_ = resp.Body.Close()
				assert.Equal(t, client, string(b), "client %s got another exchange's response", client)
				select { // the extra response has reached the pooled connection before the next client
				case <-sent:
				case <-time.After(5 * time.Second):
					t.Fatal("the upstream did not send its extra response")
				}
			}
		})
	}
}

// dropSecondUpstream answers the first request on each connection and
// closes the connection on reading the second (as an upstream that timed
// the connection out just as the request arrived). It counts requests.
func dropSecondUpstream(t *testing.T) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	var seen atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for i := 0; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					seen.Add(1)
					if i == 1 {
						return
					}
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	return ln.Addr().String(), &seen
}

// TestStaleConnectionRetryOnlyForIdempotentRequests: a request that fails
// on a reused connection is re-sent on a fresh one only when repeating it
// is safe; a POST the upstream may have acted on is not sent twice.
func TestStaleConnectionRetryOnlyForIdempotentRequests(t *testing.T) {
	for _, tc := range []struct {
		method     string
		wantStatus int
		wantSeen   int64
	}{{"GET", 200, 3}, {"POST", 503, 2}} {
		t.Run(tc.method, func(t *testing.T) {
			up, seen := dropSecondUpstream(t)
			_, pa := staticProxy(t, up)
			c, err := net.Dial("tcp", pa)
			require.NoError(t, err)
			defer c.Close()
			br := bufio.NewReader(c)
			for i, want := range []int{200, tc.wantStatus} {
				_, err = io.WriteString(c, tc.method+" / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nb")
				require.NoError(t, err)
				resp, err := http.ReadResponse(br, nil)
				require.NoError(t, err)
				_, _ = io.Copy(io.Discard, resp.Body)
				assert.Equal(t, want, resp.StatusCode, "request %d", i)
			}
			assert.Equal(t, tc.wantSeen, seen.Load(), "requests the upstream received")
		})
	}
}
