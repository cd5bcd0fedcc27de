package dataplane

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/inject"
)

// injectedProxy starts a proxy with injections c in front of h (a real
// upstream on 127.0.0.1:0) and returns the proxy's injector and address.
func injectedProxy(t *testing.T, c inject.Config, h http.Handler) (*inject.Injector, string) {
	t.Helper()
	up := httptest.NewServer(h)
	t.Cleanup(up.Close)
	in := inject.New(c)
	p := New(Options{ID: "inject-test", Log: slog.New(slog.DiscardHandler), Inject: in, H2XNet: testH2XNet})
	res, err := config.Static([]config.Mapping{{Listen: "127.0.0.1:0", Upstream: strings.TrimPrefix(up.URL, "http://")}}, nil, nil)
	require.NoError(t, err)
	require.NoError(t, p.Apply(context.Background(), res))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return in, "http://" + p.Addr(res.Listeners[0].GetName())
}

// statuses sends n requests over one keep-alive client and counts the statuses.
func statuses(t *testing.T, url string, n int) map[int]int {
	t.Helper()
	seen := map[int]int{}
	c := &http.Client{Timeout: 10 * time.Second}
	for range n {
		resp, err := c.Get(url + "/")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		seen[resp.StatusCode]++
	}
	return seen
}

// Each injection the gate's proofs rely on does what its flag says, seen by
// a client and an upstream over real sockets.
func TestInjectionsOverRealSockets(t *testing.T) {
	var upstreamHits atomic.Int64
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { upstreamHits.Add(1) })
	tests := []struct {
		name     string
		cfg      inject.Config
		n        int
		min503   int
		max503   int
		upstream int // requests that reached the upstream, exactly
	}{
		{"no injection", inject.Config{}, 200, 0, 0, 200},
		{"every request fails", inject.Config{ErrorFraction: 1}, 50, 50, 50, 0},
		// 2% of 2000: binomial sd 6.3; +-4.5 sd keeps the test from flaking
		{"2% fail", inject.Config{ErrorFraction: 0.02}, 2000, 12, 68, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upstreamHits.Store(0)
			_, url := injectedProxy(t, tt.cfg, ok)
			st := statuses(t, url, tt.n)
			assert.Equal(t, tt.n, st[200]+st[503], "only 200s and injected 503s: %v", st)
			assert.GreaterOrEqual(t, st[503], tt.min503)
			assert.LessOrEqual(t, st[503], tt.max503)
			if tt.upstream >= 0 {
				assert.Equal(t, int64(tt.upstream), upstreamHits.Load())
			} else {
				assert.Equal(t, int64(st[200]), upstreamHits.Load(), "a failed request never reaches the upstream")
			}
		})
	}
}

func TestInjectedUpstreamHeadersReachTheApp(t *testing.T) {
	var pads atomic.Int64
	app := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		n := 0
		for k := range r.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-inject-pad-") {
				n++
			}
		}
		pads.Store(int64(n))
	})
	for _, n := range []int{0, 1, 40} {
		_, url := injectedProxy(t, inject.Config{UpstreamHeaders: n}, app)
		st := statuses(t, url, 3)
		assert.Equal(t, 3, st[200])
		assert.Equal(t, int64(n), pads.Load(), "the app parsed %d distinct injected headers", n)
	}
}

func TestInjectedRetainPerRequestGrowsWithRequests(t *testing.T) {
	in, url := injectedProxy(t, inject.Config{RetainPerRequest: 64 << 10},
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	// Earlier tests in this binary (4 MiB bodies) leave freed heap pages
	// resident; the kept buffers would reuse them and RSS would not grow.
	// Return them to the OS first, so only new pages count.
	debug.FreeOSMemory()
	rss0 := anonRSS(t)
	statuses(t, url, 100)
	assert.Equal(t, int64(100*64<<10), in.Leaked(), "64 KiB kept for each of 100 requests")
	if rss0 >= 0 {
		assert.Greater(t, anonRSS(t)-rss0, int64(3<<20), "the kept 6.4 MB are resident (touched pages)")
	}
	statuses(t, url, 50)
	assert.Equal(t, int64(150*64<<10), in.Leaked())
}

func TestInjectedDelayOverSocket(t *testing.T) {
	_, url := injectedProxy(t, inject.Config{Delay: 30 * time.Millisecond, DelayFraction: 1},
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t0 := time.Now()
	st := statuses(t, url, 5)
	assert.Equal(t, 5, st[200])
	assert.GreaterOrEqual(t, time.Since(t0), 150*time.Millisecond, "five requests each delayed 30 ms")
}

// anonRSS is this process's anonymous resident memory (-1 where /proc has
// no RssAnon: not Linux).
func anonRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "RssAnon:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	return -1
}
