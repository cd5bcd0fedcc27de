package rawconn

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProbeSend(t *testing.T) {
	t.Run("quiet: sends, then waits for the answer", func(t *testing.T) {
		c, s := pair(t)
		go func() {
			buf := make([]byte, 4)
			if _, err := s.Read(buf); err == nil {
				time.Sleep(50 * time.Millisecond) // answer late: ProbeSend must wait for it
				_, _ = s.Write([]byte("pong"))
			}
		}()
		start := time.Now()
		state, err := ProbeSend(c, func() error { _, err := c.Write([]byte("ping")); return err })
		require.NoError(t, err)
		assert.Equal(t, Quiet, state)
		assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "returned before the answer was readable")
		require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Millisecond)))
		buf := make([]byte, 8)
		n, err := c.Read(buf)
		require.NoError(t, err, "the answer is there at once")
		assert.Equal(t, "pong", string(buf[:n]))
	})
	t.Run("answer already there when the wait starts", func(t *testing.T) {
		c, s := pair(t)
		go func() {
			buf := make([]byte, 4)
			if _, err := s.Read(buf); err == nil {
				_, _ = s.Write([]byte("pong"))
			}
		}()
		require.NoError(t, c.SetReadDeadline(time.Now().Add(3*time.Second))) // a missed wake-up would wait this long
		start := time.Now()
		state, err := ProbeSend(c, func() error {
			if _, err := c.Write([]byte("ping")); err != nil {
				return err
			}
			time.Sleep(20 * time.Millisecond) // the answer arrives before the wait
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, Quiet, state)
		assert.Less(t, time.Since(start), 2*time.Second, "the wait missed an answer that arrived during send")
		buf := make([]byte, 8)
		n, err := c.Read(buf)
		require.NoError(t, err)
		assert.Equal(t, "pong", string(buf[:n]))
	})
	for _, tc := range []struct {
		name string
		peer func(net.Conn)
		want IdleState
	}{
		{"unsolicited bytes: nothing sent", func(s net.Conn) { _, _ = s.Write([]byte("HTTP/1.1 200 OK\r\n")) }, Unsolicited},
		{"peer closed: nothing sent", func(s net.Conn) { _ = s.Close() }, PeerClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s := pair(t)
			tc.peer(s)
			require.Eventually(t, func() bool { return CheckIdle(c) == tc.want }, time.Second, time.Millisecond)
			called := false
			state, err := ProbeSend(c, func() error { called = true; return nil })
			require.NoError(t, err)
			assert.Equal(t, tc.want, state)
			assert.False(t, called, "send must not run on an unusable connection")
		})
	}
	t.Run("send error reported, no wait", func(t *testing.T) {
		c, _ := pair(t)
		boom := errors.New("boom")
		done := make(chan struct{})
		go func() {
			defer close(done)
			state, err := ProbeSend(c, func() error { return boom })
			assert.ErrorIs(t, err, boom)
			assert.Equal(t, Quiet, state)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("ProbeSend waited after a failed send")
		}
	})
	t.Run("deadline ends the wait; the read reports it", func(t *testing.T) {
		c, _ := pair(t)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(30*time.Millisecond)))
		state, err := ProbeSend(c, func() error { return nil })
		require.NoError(t, err)
		assert.Equal(t, Quiet, state)
		_, err = c.Read(make([]byte, 1))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	})
	t.Run("locally closed", func(t *testing.T) {
		c, _ := pair(t)
		require.NoError(t, c.Close())
		state, _ := ProbeSend(c, func() error { t.Fatal("sent on a closed conn"); return nil })
		assert.Equal(t, PeerClosed, state)
	})
	t.Run("not wrapped: send alone", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		called := false
		state, err := ProbeSend(a, func() error { called = true; return nil })
		require.NoError(t, err)
		assert.Equal(t, Unknown, state)
		assert.True(t, called)
	})
}

func TestProbeSendDoesNotAllocate(t *testing.T) {
	c, s := pair(t)
	go func() {
		buf := make([]byte, 1)
		for {
			if _, err := s.Read(buf); err != nil {
				return
			}
			_, _ = s.Write(buf)
		}
	}()
	one, buf := []byte{'x'}, make([]byte, 1)
	send := func() error { _, err := c.Write(one); return err }
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = ProbeSend(c, send)
		_, _ = c.Read(buf)
	})
	assert.Zero(t, allocs)
}

// TestProbeSendTLS: over TLS the TCP socket is probed and the wait is the
// same; a close while idle is seen through the TLS layer.
func TestProbeSendTLS(t *testing.T) {
	tlsPair := func(t *testing.T) (*tls.Conn, *tls.Conn) {
		c, s := pair(t)
		sc, cc := tlsOver(t, s, c)
		return cc, sc
	}
	t.Run("quiet: sends, then waits for the answer", func(t *testing.T) {
		cc, sc := tlsPair(t)
		go func() {
			buf := make([]byte, 4)
			if _, err := io.ReadFull(sc, buf); err == nil {
				time.Sleep(50 * time.Millisecond)
				_, _ = sc.Write([]byte("pong"))
			}
		}()
		state, err := ProbeSend(cc, func() error { _, err := cc.Write([]byte("ping")); return err })
		require.NoError(t, err)
		assert.Equal(t, Quiet, state)
		buf := make([]byte, 4)
		_, err = io.ReadFull(cc, buf)
		require.NoError(t, err)
		assert.Equal(t, "pong", string(buf))
	})
	t.Run("peer closed: nothing sent", func(t *testing.T) {
		cc, sc := tlsPair(t)
		require.NoError(t, sc.NetConn().Close())
		require.Eventually(t, func() bool { return CheckIdle(cc) == PeerClosed }, time.Second, time.Millisecond)
		state, _ := ProbeSend(cc, func() error { t.Error("sent on a closed conn"); return nil })
		assert.Equal(t, PeerClosed, state)
	})
}
