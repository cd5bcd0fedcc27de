package dataplane

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// silentUpstream answers GET /ok and reads but never answers /hang: a
// workload whose network is gone (a deleted pod sends no FIN, no RST). It
// reports each accepted connection's end (EOF from the proxy closing it).
type silentUpstream struct {
	addr   string
	hung   chan struct{} // one per /hang request read
	mu     sync.Mutex
	open   int
	closed chan struct{} // one per connection the proxy closed
}

func newSilentUpstream(t *testing.T) *silentUpstream {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	u := &silentUpstream{addr: ln.Addr().String(), hung: make(chan struct{}, 16), closed: make(chan struct{}, 16)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.mu.Lock()
			u.open++
			u.mu.Unlock()
			go u.serve(c)
		}
	}()
	return u
}

func (u *silentUpstream) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			u.closed <- struct{}{}
			return
		}
		if req.URL.Path == "/hang" {
			u.hung <- struct{}{}
			// Never answer; wait for the proxy to close the connection.
			_, _ = io.Copy(io.Discard, br)
			u.closed <- struct{}{}
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Server: silent\r\nContent-Length: 2\r\n\r\nok")
	}
}

// TestRemovedEndpointIsDrainedAtOnce: when EDS removes an endpoint, the
// proxy closes its pooled connections, idle and in use, at once; a request
// waiting on one gets a 503 "upstream endpoint removed" within a bound far
// below the route timeout (Envoy's default 15 s, which applies here), and
// the next request goes to the endpoint that replaced it.
func TestRemovedEndpointIsDrainedAtOnce(t *testing.T) {
	old := newSilentUpstream(t)
	repl := namedServer(t, "replacement")
	p := New(Options{ID: "x", Log: slog.New(slog.DiscardHandler), H2XNet: testH2XNet})
	t.Cleanup(func() { _ = p.Shutdown(t.Context()) })
	listen := "127.0.0.1:" + freePort(t)
	require.NoError(t, p.Apply(t.Context(), rdsEdsResources(t, "1", listen, "svc", map[string]string{"svc": old.addr})))

	// One request hangs on an upstream connection of its own ...
	type result struct {
		status int
		body   string
		err    error
		took   time.Duration
	}
	hung := make(chan result, 1)
	go func() {
		client := &http.Client{Transport: &http.Transport{}}
		resp, err := client.Get("http://" + listen + "/hang")
		if err != nil {
			hung <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		hung <- result{status: resp.StatusCode, body: string(b)}
	}()
	select {
	case <-old.hung:
	case <-time.After(5 * time.Second):
		t.Fatal("the hanging request never reached the upstream")
	}
	// ... and another leaves an idle pooled connection behind.
	resp := get(t, "http://"+listen+"/ok", nil)
	assert.Equal(t, "silent", resp.Header.Get("X-Server"))
	old.mu.Lock()
	require.Equal(t, 2, old.open, "one connection in use, one idle")
	old.mu.Unlock()

	removedAt := time.Now()
	require.NoError(t, p.Apply(t.Context(), rdsEdsResources(t, "2", listen, "svc", map[string]string{"svc": repl})))
	select {
	case r := <-hung:
		require.NoError(t, r.err)
		assert.Equal(t, 503, r.status)
		assert.Equal(t, "upstream endpoint removed\n", r.body)
		assert.Less(t, time.Since(removedAt), 2*time.Second, "failed at the removal, not at a timeout")
	case <-time.After(5 * time.Second):
		t.Fatal("the request on the removed endpoint still hangs 5 s after the removal")
	}
	for i := range 2 {
		select {
		case <-old.closed:
		case <-time.After(2 * time.Second):
			t.Fatalf("the removed endpoint's connection %d of 2 is still open", i+1)
		}
	}
	assert.Equal(t, "replacement", get(t, "http://"+listen+"/ok", nil).Header.Get("X-Server"))
	var m dto.Metric
	require.NoError(t, p.Metrics().LocalReplies.WithLabelValues("upstream_endpoint_removed").Write(&m))
	assert.InDelta(t, 1, m.GetCounter().GetValue(), 0, "local replies counted with their reason")
}
