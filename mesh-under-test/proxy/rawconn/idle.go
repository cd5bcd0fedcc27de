package rawconn

import (
	"crypto/tls"
	"net"
	"syscall"
	"unsafe"
)

// IdleState is what a connection parked in a pool has received since it
// was parked.
type IdleState uint8

// Idle states reported by CheckIdle.
const (
	// Quiet: nothing to read, the peer has not closed: safe to reuse.
	Quiet IdleState = iota
	// Unsolicited: the peer sent bytes nobody asked for (an extra
	// response). Reusing the connection would hand them to the next request.
	Unsolicited
	// PeerClosed: the peer closed (FIN or RST); a request sent now is lost.
	PeerClosed
	// Unknown: the connection is not a raw TCP socket this package can
	// probe (for TLS only the TCP close is visible, see CheckIdle).
	Unknown
)

// CheckIdle probes, without blocking and without consuming anything, an
// idle connection that is about to be reused. It costs one recv(2) with
// MSG_PEEK|MSG_DONTWAIT, no allocation.
//
// Why: Go's Transport keeps a goroutine reading every idle connection and
// Envoy polls them, so both notice an upstream that sends an unrequested
// response or closes; a pooled connection here has no reader while idle,
// so the check happens when it is taken from the pool.
//
// For TLS connections the TCP socket under the TLS layer is probed: a
// close is reported, but pending bytes are reported as Quiet because they
// may be TLS records that carry no data (session tickets, key updates).
func CheckIdle(c net.Conn) IdleState {
	f, isTLS, ok := fastUnder(c)
	if !ok {
		return Unknown
	}
	f.peekState = Unknown
	if err := f.rc.Read(f.peekFn); err != nil {
		return PeerClosed // closed locally or failed: not reusable either
	}
	if isTLS && f.peekState == Unsolicited {
		return Quiet
	}
	return f.peekState
}

func (f *fastConn) doPeek(fd uintptr) bool {
	for {
		r, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&f.peekBuf[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		f.peekErr = 0
		switch {
		case e == syscall.EINTR && f.peekWait:
			continue
		case e == syscall.EAGAIN || e == syscall.EINTR:
			f.peekState = Quiet
			return !f.peekWait // WaitReadable parks here until the poller says readable
		case e != 0:
			f.peekState, f.peekErr = PeerClosed, e // ECONNRESET and friends
		case r == 0:
			f.peekState = PeerClosed // orderly shutdown (EOF)
		default:
			f.peekState = Unsolicited
		}
		return true // CheckIdle never waits: it is a probe
	}
}

// fastUnder is the socket Wrap made under c, through one TLS layer (CheckIdle
// and ProbeSend probe the TCP socket under a TLS connection); ok is false
// when there is none.
func fastUnder(c net.Conn) (f *fastConn, isTLS, ok bool) {
	if tc, is := c.(*tls.Conn); is {
		c, isTLS = tc.NetConn(), true
	}
	f, ok = c.(*fastConn)
	return f, isTLS, ok
}
