package ports

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFreePortAvoidsEphemeralRangeAndRepeats(t *testing.T) {
	lo := ephemeralStart()
	if lo <= lowestPort {
		t.Skipf("ephemeral range starts at %d: no room below it, Free uses the kernel's choice", lo)
	}
	seen := map[string]bool{}
	for range 200 {
		addr, err := Free()
		require.NoError(t, err)
		assert.False(t, seen[addr], "port %s handed out twice", addr)
		seen[addr] = true
		_, p, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		port, err := strconv.Atoi(p)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, port, lowestPort)
		assert.Less(t, port, lo, "inside the ephemeral range, where outgoing connections take ports")
	}
}

func TestFreePortSkipsPortsInUse(t *testing.T) {
	addr, err := Free()
	require.NoError(t, err)
	// Someone else listens on the next port the picker would try.
	_, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+1)))
	if err != nil {
		t.Skipf("port %d busy already: %v", port+1, err)
	}
	defer ln.Close()
	next, err := Free()
	require.NoError(t, err)
	assert.NotEqual(t, ln.Addr().String(), next)
	got, err := net.Listen("tcp", next)
	require.NoError(t, err, "the port handed out is free")
	got.Close()
}
