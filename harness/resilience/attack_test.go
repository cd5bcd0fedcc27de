package resilience

import (
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type ownerFunc func(string) bool

func (f ownerFunc) OwnsAddr(addr string) bool { return f(addr) }

// TestAttackTargets: floods go to loopback, and elsewhere only to an
// address the topology vouches for (a kind node it created); anything else
// is refused before a single connection is opened.
func TestAttackTargets(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer lis.Close()
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	a, err := startAttack(context.Background(), KindFlood, lis.Addr().String(), 3, nil)
	require.NoError(t, err, "loopback needs no owner")
	assert.Contains(t, a.stop(), "3 connections opened")

	// 192.0.2.0/24 is TEST-NET-1: never dialled, the check comes first.
	for _, tc := range []struct {
		name  string
		owner Owner
	}{{"no owner", nil}, {"owner disowns it", ownerFunc(func(string) bool { return false })}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := startAttack(context.Background(), KindFlood, "192.0.2.1:80", 3, tc.owner)
			assert.ErrorContains(t, err, "only loopback addresses and containers the harness created are attacked")
		})
	}
	_, err = startAttack(context.Background(), KindSlowloris, "not-an-address", 1, nil)
	assert.Error(t, err)
}

// TestAttackConnections: a flood's connections reach the listener and stay
// silent, the ones the server closes are counted as such, a port nobody
// listens on counts as refused, and slow-loris clients trickle a request
// head that never ends.
func TestAttackConnections(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer lis.Close()
	accepted := make(chan net.Conn, 100)
	go func() {
		for i := 0; ; i++ {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			if i%2 == 1 {
				_ = c.Close() // every second connection closed by the server
				continue
			}
			accepted <- c
		}
	}()
	a, err := startAttack(context.Background(), KindFlood, lis.Addr().String(), 10, nil)
	require.NoError(t, err)
	var kept []net.Conn
	for range 5 {
		select {
		case c := <-accepted:
			kept = append(kept, c)
		case <-time.After(5 * time.Second):
			t.Fatal("the flood's connections did not reach the listener")
		}
	}
	require.NoError(t, kept[0].SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	_, err = kept[0].Read(make([]byte, 1))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "a flood sends nothing")
	time.Sleep(50 * time.Millisecond) // the server's closes reach the client
	assert.Contains(t, a.stop(), "flood: 10 connections opened, 0 refused, 5 closed by the server (opened within ")
	for _, c := range kept {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err := c.Read(make([]byte, 1))
		assert.ErrorIs(t, err, io.EOF, "stop closed the connection")
		c.Close()
	}

	free, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedPort := free.Addr().String()
	require.NoError(t, free.Close())
	a, err = startAttack(context.Background(), KindFlood, closedPort, 3, nil)
	require.NoError(t, err)
	assert.Contains(t, a.stop(), "flood: 0 connections opened, 3 refused")

	// The listener has accepted 10 (0-9): of the next four slow-loris
	// connections it keeps the 1st and the 3rd and closes the others. One
	// goroutine trickles them all.
	goroutines := runtime.NumGoroutine()
	a, err = startAttack(context.Background(), KindSlowloris, lis.Addr().String(), 4, nil)
	require.NoError(t, err)
	assert.LessOrEqual(t, runtime.NumGoroutine(), goroutines+1, "no goroutine per connection")
	for range 2 {
		c := <-accepted
		defer c.Close()
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		head := make([]byte, 3)
		_, err = io.ReadFull(c, head)
		require.NoError(t, err)
		assert.Equal(t, "GET", string(head), "one byte every %s", slowlorisGap)
	}
	require.Eventually(t, func() bool { return a.closed.Load() == 2 }, 5*time.Second, 20*time.Millisecond,
		"the writes after the server's close fail")
	assert.Contains(t, a.stop(), "slowloris: 4 connections opened, 0 refused, 2 closed by the server (opened within ")
}
