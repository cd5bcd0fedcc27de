package resilience

import (
	"context"
	"errors"
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
	fds     []int
	// opens is when each slow-loris connection was opened: its next byte
	// is due every slowlorisGap from then.
	opens []time.Time
	kind  string
}

const slowlorisGap = 200 * time.Millisecond

// slowlorisHead is what a slow-loris connection sends, a byte at a time;
// then 'a' until stop.
const slowlorisHead = "GET /echo HTTP/1.1\r\nHost: echo\r\nX-Slow: "

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
		a.opened.Add(1)
		a.fds = append(a.fds, fd)
		if kind == KindSlowloris {
			a.opens = append(a.opens, time.Now())
			if sendByte(fd, slowlorisHead[0]) != nil {
				a.closed.Add(1)
				a.opens[len(a.opens)-1] = time.Time{} // no more bytes
			}
		}
	}
	a.took = time.Since(start)
	if kind == KindSlowloris {
		a.wg.Add(1)
		go a.trickle(ctx)
	}
	return a, nil
}

// trickle sends every slow-loris connection its next byte when due, one
// goroutine for all of them: a goroutine, a ticker and a net.Conn per
// connection (net.FileConn: a dup(2), poller registration and address
// look-ups each) cost the attacker 100-200 us of CPU per connection
// opened, on the cores the load client, the app and the proxies share; a
// flood's connection about 25 us. Connections whose bytes are due within a
// millisecond of each other are written in one wake-up.
func (a *attack) trickle(ctx context.Context) {
	defer a.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for k := 1; ; k++ {
		b := byte('a')
		if k < len(slowlorisHead) {
			b = slowlorisHead[k]
		}
		alive := 0
		for i, fd := range a.fds {
			if a.opens[i].IsZero() {
				continue
			}
			alive++
			if wait := time.Until(a.opens[i].Add(time.Duration(k) * slowlorisGap)); wait > time.Millisecond {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
			}
			if err := sendByte(fd, b); err != nil && !errors.Is(err, syscall.EAGAIN) {
				a.closed.Add(1)
				a.opens[i] = time.Time{}
			}
		}
		if alive == 0 {
			<-ctx.Done() // every connection closed by the server
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// sendByte writes one byte without blocking and without SIGPIPE.
func sendByte(fd int, b byte) error {
	buf := [1]byte{b}
	for {
		err := syscall.Sendto(fd, buf[:], syscall.MSG_DONTWAIT|syscall.MSG_NOSIGNAL, nil)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// stop closes every connection and says what the attack did. A flood's
// connections send nothing, so the ones the server closed are counted
// here, by a probe that reads nothing; a slow-loris connection's are
// counted by the write that failed.
func (a *attack) stop() string {
	a.cancel()
	a.wg.Wait()
	for _, fd := range a.fds {
		if a.kind != KindSlowloris && peerClosed(fd) {
			a.closed.Add(1)
		}
		_ = syscall.Close(fd)
	}
	return fmt.Sprintf("%s: %d connections opened, %d refused, %d closed by the server (opened within %s)", a.kind, a.opened.Load(),
		a.refused.Load(), a.closed.Load(), a.took.Round(time.Millisecond))
}
