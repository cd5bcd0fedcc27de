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
	f.readFn, f.writFn = f.doRead, f.doWrite // bound once: no closure per call
	return f
}

func (f *fastConn) doRead(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&f.rbuf[0])), uintptr(len(f.rbuf)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		case 0:
			f.rn, f.rerr = int(n), 0
		default:
			f.rn, f.rerr = 0, e
		}
		return true
	}
}

func (f *fastConn) doWrite(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&f.wbuf[0])), uintptr(len(f.wbuf)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		case 0:
			f.wn, f.werr = int(n), 0
		default:
			f.wn, f.werr = 0, e
		}
		return true
	}
}

// Read implements net.Conn.
func (f *fastConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
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
