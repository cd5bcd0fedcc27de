package rawconn

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckIdle(t *testing.T) {
	c, s := pair(t)
	assert.Equal(t, Quiet, CheckIdle(c))

	_, err := s.Write([]byte("HTTP/1.1 200 OK\r\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return CheckIdle(c) == Unsolicited }, time.Second, time.Millisecond)
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1 200 OK\r\n", string(buf[:n]), "the probe consumed nothing")
	assert.Equal(t, Quiet, CheckIdle(c))

	require.NoError(t, s.Close())
	require.Eventually(t, func() bool { return CheckIdle(c) == PeerClosed }, time.Second, time.Millisecond)
	_, err = c.Read(buf)
	assert.ErrorIs(t, err, io.EOF)

	require.NoError(t, c.Close())
	assert.Equal(t, PeerClosed, CheckIdle(c), "a locally closed conn is not reusable either")

	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	assert.Equal(t, Unknown, CheckIdle(a))
}

func TestCheckIdleDoesNotAllocate(t *testing.T) {
	c, _ := pair(t)
	allocs := testing.AllocsPerRun(100, func() { _ = CheckIdle(c) })
	assert.Zero(t, allocs)
}
