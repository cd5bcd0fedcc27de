package upstream

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// acceptAll accepts connections on a 127.0.0.1 listener and hands them out.
func acceptAll(t *testing.T) (string, <-chan net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	return ln.Addr().String(), accepted
}

// next returns the next accepted connection, failing after 2 s.
func next(t *testing.T, accepted <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c := <-accepted:
		return c
	case <-time.After(2 * time.Second):
		t.Fatal("no new connection reached the upstream")
		return nil
	}
}

// closedByPeer reports whether the proxy side of u closed (EOF), not merely
// went quiet, within 2 s.
func closedByPeer(t *testing.T, u net.Conn) bool {
	t.Helper()
	require.NoError(t, u.SetReadDeadline(time.Now().Add(2*time.Second)))
	_, err := u.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// poolFixture is an endpoint (cluster svc) on a 127.0.0.1 listener with two
// connections: busy, in use, and one returned to the pool; upBusy and
// upIdle are their upstream sides.
type poolFixture struct {
	reg            *Registry
	ep             *Endpoint
	c              *Cluster
	busy           *Conn
	upBusy, upIdle net.Conn
	accepted       <-chan net.Conn
}

func newPoolFixture(t *testing.T) *poolFixture {
	t.Helper()
	addr, accepted := acceptAll(t)
	f := &poolFixture{reg: NewRegistry(), accepted: accepted}
	f.ep = f.reg.Endpoint("svc", addr)
	f.c = New(Config{Name: "svc", ConnectTimeout: time.Second, Thresholds: resilience.DefaultThresholds()}, []*Endpoint{f.ep})
	now := time.Now()
	var err error
	f.busy, _, err = f.c.Get(f.ep, now, time.Time{})
	require.NoError(t, err)
	idle, _, err := f.c.Get(f.ep, now, time.Time{})
	require.NoError(t, err)
	f.c.Put(idle, now)
	f.upBusy, f.upIdle = next(t, accepted), next(t, accepted)
	return f
}

// TestDrainingEndpointFinishesBusyConnectionsAndPoolsNone: Registry.Retain
// with an endpoint marked DRAINING closes its idle connection at once,
// leaves the busy one open and usable (not marked removed), closes that one
// when it is returned instead of pooling it, and leaves the endpoint
// dialable (panic routing may still send it a request): a connection made
// then serves that request and is closed after it. Back to serving, its
// connections are pooled again.
func TestDrainingEndpointFinishesBusyConnectionsAndPoolsNone(t *testing.T) {
	f := newPoolFixture(t)
	reg, ep, c, busy, upBusy, upIdle, accepted := f.reg, f.ep, f.c, f.busy, f.upBusy, f.upIdle, f.accepted
	now := time.Now()

	reg.Retain(map[*Endpoint]bool{ep: true})
	assert.True(t, ep.Draining())
	assert.False(t, ep.Host.Available(now.UnixNano()), "the picker skips it")
	assert.True(t, closedByPeer(t, upIdle), "the idle connection closes at once")
	assert.False(t, busy.Removed(), "draining is not removal: its user sees the upstream's answer")
	_, err := busy.Write([]byte("x"))
	require.NoError(t, err, "the busy connection still carries its request")
	b := make([]byte, 1)
	require.NoError(t, upBusy.SetReadDeadline(time.Now().Add(2*time.Second)))
	_, err = upBusy.Read(b)
	require.NoError(t, err)
	c.Put(busy, time.Now())
	assert.True(t, closedByPeer(t, upBusy), "returned after its response, it is closed, not pooled")

	again, reused, err := c.Get(ep, time.Now(), time.Time{})
	require.NoError(t, err, "a draining endpoint still accepts a request panic routing sends it")
	assert.False(t, reused)
	up := next(t, accepted)
	c.Put(again, time.Now())
	assert.True(t, closedByPeer(t, up))
	assert.Zero(t, c.Breakers.Connections(), "every slot released")

	reg.Retain(map[*Endpoint]bool{ep: false})
	assert.False(t, ep.Draining())
	back, _, err := c.Get(ep, time.Now(), time.Time{})
	require.NoError(t, err)
	next(t, accepted)
	c.Put(back, time.Now())
	again, reused, err = c.Get(ep, time.Now(), time.Time{})
	require.NoError(t, err)
	assert.True(t, reused, "back in service, its connections are pooled")
	c.Discard(again)
}
