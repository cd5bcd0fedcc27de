package dataplane

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// backlogRoom is how many connections a listen(2) backlog can hold here
// (Go listens with net.core.somaxconn).
func backlogRoom(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Skipf("somaxconn: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return n
}

// burstSetup is a proxy, a keep-alive client connection through it that
// has been answered once, and the burst size (2000, or what the backlog
// holds).
func burstSetup(t *testing.T) (*Proxy, string, *rawClient, int) {
	n := min(2000, backlogRoom(t)-16)
	if n < 500 {
		t.Skipf("net.core.somaxconn %d: the backlog cannot hold a burst", n+16)
	}
	p, addr := idleProxy(t)
	rc := newRawClient(t, addr, "burst", 16)
	status, err := rc.do()
	require.NoError(t, err)
	require.Equal(t, 200, status)
	return p, addr, rc, n
}

// TestAcceptBurstLetsRequestsThrough is the flood scenario's mechanism in
// process, on one P (meshproxy with workers: 1): 2000 connections wait in
// the listener's backlog, as when a flood outpaces the accept loop, and a
// request arrives on an established keep-alive connection just as the
// loop starts taking them. The request must be answered while most of the
// burst is still waiting, not after it: a loop that never blocks keeps the
// P, and the request's goroutines (downstream read, upstream answer) are
// found by the network poller only when it steps aside. Counted in
// accepted connections, not time, so a loaded machine does not change the
// verdict; the old loop answered after about 1900 of 2000.
func TestAcceptBurstLetsRequestsThrough(t *testing.T) {
	p, addr, rc, n := burstSetup(t)
	settle(t, p, 1)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	// Hold the accept loop (it takes p.mu for each connection) while the
	// burst fills the backlog.
	p.mu.Lock()
	fds := make([]int, 0, n)
	defer func() {
		for _, fd := range fds {
			_ = syscall.Close(fd)
		}
	}()
	for range n {
		fds = append(fds, rawDial(t, addr))
	}
	require.NoError(t, rc.c.SetDeadline(time.Now().Add(20*time.Second)))
	_, err := rc.c.Write(rc.req)
	start := time.Now()
	p.mu.Unlock()
	require.NoError(t, err)
	require.NoError(t, rc.resp.Read(rc.br))
	took, accepted := time.Since(start), p.connCount()-1
	assert.Equal(t, 200, rc.resp.Status)
	settle(t, p, n+1)
	drained := time.Since(start)
	t.Logf("answered after %v with %d of %d connections accepted; all accepted after %v", took, accepted, n, drained)
	assert.Less(t, accepted, n/4, "the request waited for the burst")
}

// TestMassCloseLetsRequestsThrough: the end of a flood or of a slow-loris
// attack, on one P: 2000 connections, idle or holding half a request
// head, are closed by their client at once and a request arrives right
// after on an established connection. The goroutines of the closed
// connections only hand them to the reaper, which closes 16 per network
// poll, so the request is answered while most of them are still open on
// the proxy's side; closed inline, all of them were closed first.
func TestMassCloseLetsRequestsThrough(t *testing.T) {
	for _, tc := range []struct {
		name string
		sent string // what each connection wrote before its close
	}{
		{"flood: idle connections", ""},
		{"slow-loris: half a request head", "GET /echo HTTP/1.1\r\nHost: echo\r\nX-Slow: a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, addr, rc, n := burstSetup(t)
			fds := make([]int, 0, n)
			for range n {
				fd := rawDial(t, addr)
				fds = append(fds, fd)
				if tc.sent != "" {
					_, err := syscall.Write(fd, []byte(tc.sent))
					require.NoError(t, err)
				}
			}
			settle(t, p, n+1)
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			for _, fd := range fds {
				_ = syscall.Close(fd)
			}
			require.NoError(t, rc.c.SetDeadline(time.Now().Add(20*time.Second)))
			// The closes the proxy has still to handle when the request is
			// sent: on a loaded machine it handles some while the loop above
			// runs, and those the request cannot have waited for.
			pending := p.connCount() - 1
			if pending < n/4 {
				t.Skipf("the proxy handled %d of %d closes before the request was sent (a loaded machine): too few left to see whether the request waits for them", n-pending, n)
			}
			start := time.Now()
			_, err := rc.c.Write(rc.req)
			require.NoError(t, err)
			require.NoError(t, rc.resp.Read(rc.br))
			took, open := time.Since(start), p.connCount()-1
			assert.Equal(t, 200, rc.resp.Status)
			settle(t, p, 1)
			t.Logf("answered after %v with %d of the %d closes pending at the request (%d in all) not yet handled by the proxy; all after %v", took, open, pending, n, time.Since(start))
			assert.Greater(t, open, pending/2, "the request waited for the closes")
		})
	}
}
