package load

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connCounter is a listener that counts the connections the app holds
// open: one is open from Accept until the server closes it (it does when
// the client's side is gone).
type connCounter struct {
	net.Listener
	mu             sync.Mutex
	open, peak, in int
}

func (l *connCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.open++
	l.in++
	l.peak = max(l.peak, l.open)
	l.mu.Unlock()
	return &countedConn{Conn: c, l: l}, nil
}

// reset starts a new phase's counts; it returns the connections still open.
func (l *connCounter) reset() (open int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.peak, l.in = l.open, 0
	return l.open
}

func (l *connCounter) counts() (open, peak, accepted int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open, l.peak, l.in
}

type countedConn struct {
	net.Conn
	l    *connCounter
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.mu.Lock(); c.l.open--; c.l.mu.Unlock() })
	return c.Conn.Close()
}

// TestPhaseLeavesNoConnectionOpen: a load phase closes every connection it
// opened when it ends, so the measured window that follows a warm-up runs on
// exactly the configured connections. fortio's gRPC runner never closed its
// connections: the measured window ran beside the warm-up's idle ones (the
// proxies held 32 downstream connections for 16 configured).
func TestPhaseLeavesNoConnectionOpen(t *testing.T) {
	const conns = 3
	for _, proto := range Protocols() {
		t.Run(proto, func(t *testing.T) {
			raw, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			ln := &connCounter{Listener: raw}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { _ = ServeApp(ctx, ln, proto) }()
			o := Options{URL: "http://" + raw.Addr().String() + "/", QPS: 100, Connections: conns,
				Duration: 300 * time.Millisecond, PayloadBytes: 64, Protocol: proto}

			for phase := range 2 { // warm-up, then the measured window
				rep, err := Run(ctx, o)
				require.NoError(t, err)
				require.Zero(t, rep.Errors, "phase %d: %v", phase, rep.ErrorsByStatus)
				_, peak, accepted := ln.counts()
				assert.Equal(t, conns, peak, "phase %d: connections open at once", phase)
				assert.Equal(t, conns, accepted, "phase %d: connections opened", phase)
				// The app closes a connection once it sees the client's close.
				assert.Eventually(t, func() bool { open, _, _ := ln.counts(); return open == 0 },
					2*time.Second, 10*time.Millisecond, "phase %d left connections open", phase)
				ln.reset()
			}
		})
	}
}
