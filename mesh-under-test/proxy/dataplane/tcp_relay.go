package dataplane

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/rawconn"
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
		// src first: the other direction may be inside a held read of
		// dst (copyHeld) writing to src, and a Close of dst waits for it;
		// closing src ends that write.
		_ = src.Close()
		_ = dst.Close()
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
	if held, err := copyHeld(dst, src, buf, idle); held {
		return err
	}
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if werr := forward(dst, buf[:n], idle); werr != nil {
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

// copyHeld is copyConn's loop inside one held read registration of src's
// socket (rawconn.Hold): src is read until it would block, and then the
// relay waits for the socket's next edge instead of trying a read that
// fails with EAGAIN, one system call per message and direction saved (a
// plain net.Conn Read forgets readiness, so it must try first). Over TLS
// too: crypto/tls keeps a partial record across rawconn.ErrWouldBlock.
// held is false, and nothing is read, when src's socket is not one
// rawconn wrapped; then copyConn's own loop runs.
//
// A Close of src waits while a step runs, and a step can wait in
// dst.Write for a peer that does not read: relay's deadline path closes
// src before dst for that reason; tunnelIdle closes both only once both
// directions have ended.
func copyHeld(dst, src net.Conn, buf []byte, idle *connTimers) (held bool, err error) {
	held, herr := rawconn.Hold(rawOf(src), func() bool {
		for {
			n, rerr := src.Read(buf)
			if n > 0 {
				if err = forward(dst, buf[:n], idle); err != nil {
					return true
				}
			}
			switch {
			case rerr == nil:
			case rerr == rawconn.ErrWouldBlock || errors.Is(rerr, rawconn.ErrWouldBlock): // == first: once per wake, errors.Is costs more than the rest of the loop
				return false // wait for the socket's next edge
			case errors.Is(rerr, io.EOF):
				return true
			default:
				err = rerr
				return true
			}
		}
	})
	if err == nil {
		err = herr
	}
	return held, err
}

// forward writes what a read moved to dst; the bytes mark the connection
// active for the idle sweeper (its clock restarts).
func forward(dst net.Conn, b []byte, idle *connTimers) error {
	if idle != nil {
		idle.markActive()
	}
	_, err := dst.Write(b)
	return err
}

// rawOf is the socket under c: through TLS, the classifying reader an
// accepted TLS connection reads through (bufio passes ErrWouldBlock on
// without keeping it) and the listener's tracking.
func rawOf(c net.Conn) net.Conn {
	for {
		switch x := c.(type) {
		case *tls.Conn:
			c = x.NetConn()
		case *prefixConn:
			c = x.Conn
		case *trackedConn:
			c = x.Conn
		default:
			return c
		}
	}
}
