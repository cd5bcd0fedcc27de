package dataplane

import (
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TestPerTryTimeoutRetriesAHungH2Upstream: an h2c upstream that never
// answers every other request, behind one retry on reset with a 100 ms
// per-try timeout and no route timeout, on the HTTP/2 path the package
// runs (lean; x/net with MESHPROXY_TEST_H2XNET=1, as `make test` reruns
// it): each hung attempt's stream is cancelled at the upstream and the
// request retried, so every caller gets 200 after exactly two attempts.
func TestPerTryTimeoutRetriesAHungH2Upstream(t *testing.T) {
	var hits, cancelled atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%2 == 0 {
			return
		}
		select {
		case <-r.Context().Done(): // RST_STREAM from the proxy
			cancelled.Add(1)
		case <-time.After(10 * time.Second):
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h2c.NewHandler(h, &http2.Server{})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	route := withRetry(prefixRoute("/", "up"), "reset", 1)
	route.GetRoute().RetryPolicy.PerTryTimeout = durationpb.New(100 * time.Millisecond)
	route.GetRoute().Timeout = durationpb.New(0)
	_, pa := startProxy(t, oneRoute(t, route, nil, h2StaticCluster(t, "up", ln.Addr().String())))
	c := h2cClient()
	c.Timeout = 5 * time.Second
	const n = 4
	for i := range n {
		resp, err := c.Get("http://" + pa + "/")
		require.NoError(t, err, "request %d", i)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "request %d", i)
	}
	assert.Equal(t, int64(2*n), hits.Load(), "each request: a hung attempt, then one answered")
	require.Eventually(t, func() bool { return cancelled.Load() == n }, 2*time.Second, 10*time.Millisecond,
		"every hung attempt's stream was cancelled at the upstream (%d of %d)", cancelled.Load(), n)
}
