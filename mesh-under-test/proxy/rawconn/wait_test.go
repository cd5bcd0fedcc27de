package rawconn

import (
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWaitReadable(t *testing.T) {
	c, s := pair(t)
	woke := make(chan error, 1)
	go func() { woke <- WaitReadable(c) }()
	select {
	case err := <-woke:
		t.Fatalf("returned before any byte: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	_, err := s.Write([]byte("GET"))
	require.NoError(t, err)
	require.NoError(t, <-woke)
	buf := make([]byte, 8)
	n, err := c.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "GET", string(buf[:n]), "the wait consumed nothing")

	require.NoError(t, s.Close())
	assert.ErrorIs(t, WaitReadable(c), io.EOF, "peer closed without sending")

	c2, s2 := pair(t)
	require.NoError(t, s2.(*net.TCPConn).SetLinger(0))
	require.NoError(t, s2.Close()) // RST
	assert.ErrorIs(t, WaitReadable(c2), syscall.ECONNRESET)

	c3, _ := pair(t)
	require.NoError(t, c3.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	assert.ErrorIs(t, WaitReadable(c3), os.ErrDeadlineExceeded, "deadlines wake it (idle timeout, shutdown)")
	require.NoError(t, c3.Close())
	assert.ErrorIs(t, WaitReadable(c3), net.ErrClosed)

	c4, s4 := pair(t)
	_, err = s4.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, WaitReadable(c4))
	_, err = c4.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, Quiet, CheckIdle(c4), "CheckIdle still probes without waiting after a WaitReadable")

	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	assert.NoError(t, WaitReadable(a), "not a wrapped TCP conn: returns at once")
}

func TestWaitReadableDoesNotAllocate(t *testing.T) {
	c, s := pair(t)
	_, err := s.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, WaitReadable(c))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = WaitReadable(c) }))
}
