package resilience

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// attack holds connections open against a listener: a flood opens them
// and sends nothing; slow-loris clients send a request head one byte every
// slowlorisGap and never finish it. Both are bounded: n connections, until
// stop, to a loopback address or one the topology owns (Owner).
type attack struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	opened  atomic.Int64
	refused atomic.Int64
	closed  atomic.Int64 // closed by the server before stop
	took    time.Duration
	mu      sync.Mutex
	fds     []int      // a flood's connections
	conns   []net.Conn // slow-loris connections
	kind    string
}

const slowlorisGap = 200 * time.Millisecond

func startAttack(ctx context.Context, kind, addr string, n int, owner Owner) (*attack, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s target %q: %w", kind, addr, err)
	}
	ip := net.ParseIP(host)
	owned := owner != nil && ip != nil && owner.OwnsAddr(addr)
	if ip == nil || !ip.IsLoopback() && !owned {
		return nil, fmt.Errorf("%s target %q: only loopback addresses and containers the harness created are attacked", kind, addr)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("%s target %q: port: %w", kind, addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	a := &attack{cancel: cancel, kind: kind}
	start := time.Now()
	for range n {
		if ctx.Err() != nil {
			break
		}
		fd, err := rawConnect(ip, port, time.Second)
		if err != nil {
			a.refused.Add(1)
			continue
		}
		if kind != KindSlowloris {
			a.opened.Add(1)
			a.fds = append(a.fds, fd)
			continue
		}
		c, err := fdConn(fd)
		if err != nil {
			a.refused.Add(1)
			continue
		}
		a.opened.Add(1)
		a.mu.Lock()
		a.conns = append(a.conns, c)
		a.mu.Unlock()
		a.wg.Add(1)
		go a.trickle(ctx, c)
	}
	a.took = time.Since(start)
	return a, nil
}

// trickle writes a request head that never ends, one byte at a time.
func (a *attack) trickle(ctx context.Context, c net.Conn) {
	defer a.wg.Done()
	head := []byte("GET /echo HTTP/1.1\r\nHost: echo\r\nX-Slow: ")
	t := time.NewTicker(slowlorisGap)
	defer t.Stop()
	for i := 0; ; i++ {
		b := byte('a')
		if i < len(head) {
			b = head[i]
		}
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte{b}); err != nil {
			if ctx.Err() == nil {
				a.closed.Add(1)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// stop closes every connection and says what the attack did. A flood's
// connections send nothing, so the ones the server closed are counted
// here, by a probe that reads nothing.
func (a *attack) stop() string {
	a.cancel()
	a.wg.Wait()
	for _, fd := range a.fds {
		if peerClosed(fd) {
			a.closed.Add(1)
		}
		_ = syscall.Close(fd)
	}
	a.mu.Lock()
	for _, c := range a.conns {
		c.Close()
	}
	a.mu.Unlock()
	return fmt.Sprintf("%s: %d connections opened, %d refused, %d closed by the server (opened within %s)", a.kind, a.opened.Load(),
		a.refused.Load(), a.closed.Load(), a.took.Round(time.Millisecond))
}
