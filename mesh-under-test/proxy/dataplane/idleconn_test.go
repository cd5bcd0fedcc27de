package dataplane

import (
	"net"
	"runtime"
	"runtime/metrics"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
)

// rawDial opens a TCP connection to addr with plain system calls: the
// client side allocates nothing on the Go heap and starts no goroutine, so
// the memory statistics of the process are the proxy's.
func rawDial(t testing.TB, addr string) int {
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	sa := &syscall.SockaddrInet4{Port: p}
	copy(sa.Addr[:], net.ParseIP(host).To4())
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	if err := syscall.Connect(fd, sa); err != nil {
		_ = syscall.Close(fd)
		require.NoError(t, err)
	}
	return fd
}

func (p *Proxy) connCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// settle waits until the proxy holds want connections and the number of
// goroutines has stopped changing (every connection's goroutine parked).
func settle(t testing.TB, p *Proxy, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	last, stable := -1, 0
	for stable < 3 {
		require.True(t, time.Now().Before(deadline), "proxy holds %d connections, want %d", p.connCount(), want)
		time.Sleep(5 * time.Millisecond)
		n := runtime.NumGoroutine()
		if p.connCount() == want && n == last {
			stable++
		} else {
			stable = 0
		}
		last = n
	}
}

// idleCost is what n idle accepted connections cost the proxy: heap
// allocations while accepting them, and the heap and goroutine stacks they
// keep once accepted.
type idleCost struct {
	allocs, allocBytes, heldHeap, heldStack float64 // per connection
}

// measureIdle opens n connections that never send a byte to a fresh HTTP
// listener of p, and closes them again once measured.
func measureIdle(t testing.TB, p *Proxy, addr string, n int) idleCost {
	return measureConns(t, p, addr, n, "")
}

// measureConns opens n connections to a fresh HTTP listener of p, writes
// sent into each once all are accepted (nothing when empty), measures what
// they cost once the proxy has handled those bytes, and closes them.
func measureConns(t testing.TB, p *Proxy, addr string, n int, sent string) idleCost {
	t.Helper()
	settle(t, p, 0)
	runtime.GC()
	runtime.GC() // twice: sync.Pool's victim cache is emptied too
	var m0, m1, m2 runtime.MemStats
	runtime.ReadMemStats(&m0)
	fds := make([]int, 0, n)
	defer func() {
		for _, fd := range fds {
			_ = syscall.Close(fd)
		}
		settle(t, p, 0)
	}()
	for range n {
		fds = append(fds, rawDial(t, addr))
	}
	settle(t, p, n)
	if sent != "" {
		b := []byte(sent)
		for _, fd := range fds {
			_, err := syscall.Write(fd, b)
			require.NoError(t, err)
		}
		quiesce(t)
	}
	runtime.ReadMemStats(&m1)
	runtime.GC()
	runtime.ReadMemStats(&m2)
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(n) }
	return idleCost{allocs: per(m1.Mallocs, m0.Mallocs), allocBytes: per(m1.TotalAlloc, m0.TotalAlloc),
		heldHeap: per(m2.HeapAlloc, m0.HeapAlloc), heldStack: per(m1.StackInuse, m0.StackInuse)}
}

// quiesce waits until no goroutine is runnable and the heap has stopped
// allocating (the proxy has handled what its connections were sent).
func quiesce(t testing.TB) {
	t.Helper()
	s := []metrics.Sample{{Name: "/sched/goroutines/runnable:goroutines"}, {Name: "/gc/heap/allocs:objects"}}
	deadline := time.Now().Add(20 * time.Second)
	var last uint64
	for stable := 0; stable < 3; {
		require.True(t, time.Now().Before(deadline), "the proxy kept allocating")
		time.Sleep(5 * time.Millisecond)
		metrics.Read(s)
		if allocs := s[1].Value.Uint64(); s[0].Value.Uint64() == 0 && allocs == last {
			stable++
		} else {
			stable, last = 0, allocs
		}
	}
}

func idleProxy(t testing.TB) (*Proxy, string) {
	res, err := config.Static([]config.Mapping{{Listen: "127.0.0.1:0", Upstream: rawUpstream(t, 16)}}, nil, nil)
	require.NoError(t, err)
	return startProxy(t, res)
}

// BenchmarkIdleConnection is the cost of one accepted connection that has
// not sent its first byte (a flood's connection), in batches of 500:
// allocations while accepting (allocs/conn, B/conn) and what it holds
// while idle (heap-B/conn, stack-B/conn). ns/op is the wall time per
// connection including the client's connect(2), so only the memory
// columns compare across machines.
func BenchmarkIdleConnection(b *testing.B) {
	benchConns(b, "")
}

// benchConns measures connections that sent sent (nothing when empty) in
// batches of 500 and reports the cost per connection.
func benchConns(b *testing.B, sent string) {
	p, addr := idleProxy(b)
	var sum idleCost
	batches := 0
	for done := 0; done < b.N; done += 500 {
		c := measureConns(b, p, addr, min(500, b.N-done), sent)
		sum.allocs += c.allocs
		sum.allocBytes += c.allocBytes
		sum.heldHeap += c.heldHeap
		sum.heldStack += c.heldStack
		batches++
	}
	f := float64(batches)
	b.ReportMetric(sum.allocs/f, "allocs/conn")
	b.ReportMetric(sum.allocBytes/f, "B/conn")
	b.ReportMetric(sum.heldHeap/f, "heap-B/conn")
	b.ReportMetric(sum.heldStack/f, "stack-B/conn")
}

// TestIdleConnectionIsCheap: a connection that has not sent its first byte
// holds no read buffer (serveConn's 8 KB reader comes with a complete
// head, firsthead.go) and gets no TCP keepalive options; 300 of them
// allocate and keep under 2 KB of heap each (an 8 KB reader each before: 2.4 MB for the
// batch and, with GOGC 50, garbage collections during a flood).
func TestIdleConnectionIsCheap(t *testing.T) {
	p, addr := idleProxy(t)
	c := measureIdle(t, p, addr, 300)
	t.Logf("per idle connection: %.1f allocations, %.0f B allocated, %.0f B heap and %.0f B stack held", c.allocs, c.allocBytes, c.heldHeap, c.heldStack)
	assert.Less(t, c.allocBytes, 2048.0)
	assert.Less(t, c.heldHeap, 2048.0)

	fd := rawDial(t, addr)
	defer syscall.Close(fd)
	settle(t, p, 1)
	p.mu.Lock()
	var tc *trackedConn
	for c := range p.conns {
		tc = c
	}
	p.mu.Unlock()
	sc, ok := tc.Conn.(syscall.Conn)
	require.True(t, ok, "a TCP connection")
	rc, err := sc.SyscallConn()
	require.NoError(t, err)
	keepalive, nodelay := -1, -1
	require.NoError(t, rc.Control(func(s uintptr) {
		keepalive, _ = syscall.GetsockoptInt(int(s), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		nodelay, _ = syscall.GetsockoptInt(int(s), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
	}))
	assert.Zero(t, keepalive, "no TCP keepalive on accepted connections (Envoy sets none downstream)")
	assert.Equal(t, 1, nodelay, "TCP_NODELAY stays on")
}
