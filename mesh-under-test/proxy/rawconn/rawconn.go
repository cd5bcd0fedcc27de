package rawconn

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// fastConn (see Wrap) reads and writes a TCP socket with raw system calls from inside
// the runtime poller's hooks (syscall.RawConn.Read/Write). The socket is
// non-blocking, so a raw call never blocks: when it would, the hook returns
// false and the poller parks the goroutine as usual (deadlines included).
//
// Why: a regular net.Conn read or write goes through entersyscall/
// exitsyscall, and at sidecar request rates (the P idle between requests)
// each entry wakes the runtime's sysmon thread, which then polls every
// 20 us for a while, and P hand-offs between threads follow: futex and
// nanosleep calls and context switches that cost more CPU per request than
// the proxying itself. Measured on the standard case (docs/proxy.md).
type fastConn struct {
	*net.TCPConn // everything else, including ReadFrom (splice) and CloseWrite
	rc           syscall.RawConn

	rbuf, wbuf     []byte
	rn, wn         int
	rerr, werr     syscall.Errno
	readFn, writFn func(fd uintptr) bool

	// CheckIdle's probe, bound once like readFn; WaitReadable sets
	// peekWait to park on EAGAIN instead of reporting Quiet.
	peekFn    func(fd uintptr) bool
	peekBuf   [1]byte
	peekState IdleState
	peekErr   syscall.Errno
	peekWait  bool

	// ProbeSend's state, its callback bound once like readFn.
	sendFn   func(fd uintptr) bool
	send     func() error
	sendErr  error
	sent     bool
	probeTLS bool

	hold holdState // Hold's registration and its reads (hold.go)
}

// Wrap wraps TCP connections; anything else is returned as is.
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	f := &fastConn{TCPConn: tc, rc: rc}
	f.readFn, f.writFn, f.peekFn, f.sendFn = f.doRead, f.doWrite, f.doPeek, f.doProbeSend // bound once: no closure per call
	return f
}

func (f *fastConn) doRead(fd uintptr) bool {
	var done bool
	f.rn, f.rerr, done = rawIO(syscall.SYS_READ, fd, f.rbuf)
	return done
}

func (f *fastConn) doWrite(fd uintptr) bool {
	var done bool
	f.wn, f.werr, done = rawIO(syscall.SYS_WRITE, fd, f.wbuf)
	return done
}

// rawIO is one read(2) or write(2) on a non-blocking socket, retried on
// EINTR. done is false on EAGAIN, which tells the poller to wait for the
// socket and call again.
func rawIO(trap, fd uintptr, buf []byte) (n int, errno syscall.Errno, done bool) {
	for {
		r, _, e := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, 0, false
		case 0:
			return int(r), 0, true
		default:
			return 0, e, true
		}
	}
}

// Read implements net.Conn.
func (f *fastConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if f.hold.holding {
		return f.heldRead(b)
	}
	f.rbuf = b
	err := f.rc.Read(f.readFn)
	f.rbuf = nil
	switch {
	case err != nil:
		return 0, opError("read", f.TCPConn, err)
	case f.rerr != 0:
		return 0, opError("read", f.TCPConn, f.rerr)
	case f.rn == 0:
		return 0, io.EOF
	}
	return f.rn, nil
}

// Write implements net.Conn.
func (f *fastConn) Write(b []byte) (int, error) {
	total := 0
	for total < len(b) {
		f.wbuf = b[total:]
		err := f.rc.Write(f.writFn)
		f.wbuf = nil
		if err != nil {
			return total, opError("write", f.TCPConn, err)
		}
		if f.werr != 0 {
			return total, opError("write", f.TCPConn, f.werr)
		}
		total += f.wn
	}
	return total, nil
}

func opError(op string, c *net.TCPConn, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
