package dataplane

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
)

// TestH1HeldPathAllocatesNothing: docs/proxy.md ("HTTP/1.1 user-space
// time") says a plaintext HTTP/1.1 round trip through one and through two
// proxies allocates nothing; the raw client and upstream allocate nothing
// either, so the process's allocations per round trip are the proxies'.
// Averaged over 300 round trips with room for a stray runtime allocation:
// one allocation per request (the retry claim that escaped) fails it.
func TestH1HeldPathAllocatesNothing(t *testing.T) {
	up := rawUpstream(t, 1024)
	res, err := config.Static(nil, []config.Mapping{{Listen: "127.0.0.1:0", Upstream: up}}, nil)
	require.NoError(t, err)
	_, inbound := startProxy(t, res)
	for _, tc := range []struct{ name, upstream string }{{"one proxy", up}, {"two proxies", inbound}} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := config.Static([]config.Mapping{{Listen: "127.0.0.1:0", Upstream: tc.upstream}}, nil, nil)
			require.NoError(t, err)
			_, pa := startProxy(t, res)
			rc := newRawClient(t, pa, "bench.svc", 1024)
			do := func() {
				if st, err := rc.do(); err != nil || st != 200 {
					t.Fatalf("status %d err %v", st, err)
				}
			}
			for range 20 { // warm pools and buffers
				do()
			}
			assert.Less(t, testing.AllocsPerRun(300, do), 0.2)
		})
	}
}
