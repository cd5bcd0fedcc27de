package upstream

import (
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// TestRemovedEndpointRefusesAndClosesConnections: an endpoint the
// configuration dropped (Registry.Retain without it) has every connection
// closed, idle or in use, marks those in use as removed, gives back their
// circuit-breaker slots once released, and dials no more.
func TestRemovedEndpointRefusesAndClosesConnections(t *testing.T) {
	f := newPoolFixture(t)
	reg, ep, c, busy := f.reg, f.ep, f.c, f.busy

	reg.Retain(map[*Endpoint]bool{})
	for _, u := range []net.Conn{f.upBusy, f.upIdle} {
		assert.True(t, closedByPeer(t, u), "the proxy side closed the connection, not merely went quiet")
	}
	assert.True(t, busy.Removed())
	_, err := busy.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	assert.Error(t, err, "a request on the removed connection fails at once")
	c.Discard(busy)
	_, _, err = c.Get(ep, time.Now(), time.Time{})
	assert.ErrorIs(t, err, ErrEndpointRemoved)
	assert.Zero(t, c.Breakers.Connections(), "each connection's slot released once")
	ep.mu.Lock()
	assert.Empty(t, ep.conns)
	ep.mu.Unlock()
}

// fullListener returns the address of a 127.0.0.1 listener whose accept
// queue is full (backlog 0, one connection queued, never accepted): the
// kernel drops further SYNs, so a connect to it hangs, as one to a deleted
// pod's address does.
func fullListener(t *testing.T) string {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Close(fd) })
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	for range 4 { // fill the queue; later connects hang
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	t.Skip("the kernel kept accepting connections on a backlog-0 listener")
	return ""
}

// TestRemovalCancelsAConnectInProgress: a connect to an address that does
// not answer ends when the endpoint is removed, not at the connect timeout.
func TestRemovalCancelsAConnectInProgress(t *testing.T) {
	addr := fullListener(t)
	reg := NewRegistry()
	ep := reg.Endpoint("svc", addr)
	c := New(Config{Name: "svc", ConnectTimeout: 10 * time.Second, Thresholds: resilience.DefaultThresholds()}, []*Endpoint{ep})
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Get(ep, time.Now(), time.Time{})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the connect ended before the removal: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	removed := time.Now()
	reg.Retain(map[*Endpoint]bool{})
	select {
	case err := <-done:
		assert.ErrorIs(t, err, ErrEndpointRemoved)
		assert.Less(t, time.Since(removed), time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("the connect still hangs 5 s after the removal")
	}
	assert.Zero(t, c.Breakers.Connections())
}
