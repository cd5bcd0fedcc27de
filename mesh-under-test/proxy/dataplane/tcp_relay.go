package dataplane

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"sync"
)

// relayBufSize is one TLS record's worth: a relay read never needs more to
// keep a socket busy, and 16 KB per direction per open connection is what
// an idle tunnel holds.
const relayBufSize = 16 << 10

var relayBufPool = sync.Pool{New: func() any { b := make([]byte, relayBufSize); return &b }}

// tunnelIdle copies both directions until either side ends, then closes both.
// Bytes already buffered in the readers are relayed first.
//
// Why not io.Copy: between the proxy's connections it never reached
// splice(2) (the downstream conn is wrapped for raw I/O and its first bytes
// already sit in the classifying bufio.Reader), so it fell back to
// TCPConn.ReadFrom/WriteTo's generic paths: a fresh 32 KB buffer per
// direction per connection, and half of every read and write going through
// the ordinary net.Conn path instead of rawconn's raw system calls. For
// request-sized messages splice would not help anyway (two calls per hop
// through a pipe instead of one read and one write). One direction runs on
// the calling goroutine, so a tunnel costs one extra goroutine, not two.
//
// Under an idle timeout (tcp_proxy idle_timeout, or an upgraded stream's
// stream_idle_timeout): with idle non-nil, every read that moved bytes
// marks the connection active for the sweeper, and a read ended by the
// sweeper's deadline closes both sides at once (a half-close would leave
// the other direction waiting).
func tunnelIdle(a net.Conn, ar *bufio.Reader, b net.Conn, br *bufio.Reader, idle *connTimers) {
	done := make(chan struct{}, 1)
	go func() {
		relay(b, a, ar, idle)
		done <- struct{}{}
	}()
	relay(a, b, br, idle)
	<-done
	_ = a.Close()
	_ = b.Close()
}

// relay copies src (after the bytes buffered in sr, if any) to dst until
// src ends or either side fails, then half-closes dst so the peer sees the
// end of the stream while the other direction may still run.
func relay(dst, src net.Conn, sr *bufio.Reader, idle *connTimers) {
	if err := copyConn(dst, src, sr, idle); errors.Is(err, os.ErrDeadlineExceeded) {
		_ = dst.Close()
		_ = src.Close()
		return
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	} else {
		_ = dst.Close()
	}
}

// copyConn is io.Copy with a pooled buffer that calls src.Read and
// dst.Write directly (the raw-syscall paths of rawconn).
func copyConn(dst, src net.Conn, sr *bufio.Reader, idle *connTimers) error {
	if sr != nil && sr.Buffered() > 0 {
		head, _ := sr.Peek(sr.Buffered())
		if _, err := dst.Write(head); err != nil {
			return err
		}
		_, _ = sr.Discard(len(head))
	}
	bp := relayBufPool.Get().(*[]byte)
	defer relayBufPool.Put(bp)
	buf := *bp
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if idle != nil {
				idle.setState(connIdle) // active: the idle clock restarts
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
