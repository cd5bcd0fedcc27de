package rawconn

import (
	"io"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrWouldBlock is what a Read of a held connection (see Hold) returns
// when it would have to wait for the socket: the step returns false to
// wait, and the Read is tried again when the socket is readable. It is a
// temporary net.Error, so crypto/tls keeps a partial record and can be
// read again after the wait (it makes only permanent errors sticky).
var ErrWouldBlock error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "rawconn: read would block in a held registration" }
func (wouldBlock) Timeout() bool   { return false }
func (wouldBlock) Temporary() bool { return true }

// inq states: whether the socket reports, with each read, how many bytes
// it still holds (TCP_INQ, Linux 4.18).
const (
	inqUnknown uint8 = iota
	inqOn
	inqOff
)

// holdState is Hold's part of a fastConn.
type holdState struct {
	step    func() bool
	holdFn  func(fd uintptr) bool
	holding bool
	fd      uintptr
	// empty: the last read left the socket empty (TCP_INQ said 0 bytes
	// and no end of stream pending, or it failed with EAGAIN); cleared
	// whenever the poller calls the hook, i.e. when it says readable.
	empty bool
	inq   uint8
	msg   syscall.Msghdr
	iov   syscall.Iovec
	ctl   [3]uint64 // one control message holding an int: CmsgSpace(4) = 24 bytes, aligned
	// recvs counts recvmsg calls (tests check the reads Hold saves).
	recvs int
}

// Hold runs step inside one read registration with the runtime poller
// (syscall.RawConn.Read) instead of one per Read: step is called at once,
// and again each time the socket becomes readable after it returned false;
// Hold returns when step returns true, or with the error a deadline or a
// local Close causes while it waits. held is false, and step is not
// called, for a conn Wrap did not make.
//
// Inside step, c's Read makes one raw recvmsg(2) and returns ErrWouldBlock
// instead of waiting; and when the previous read found the socket empty it
// returns ErrWouldBlock without a system call, because the poller
// registration has been held since that read: anything that arrives later
// raises an edge that the poller records for this registration, and
// returning false waits for it. (A new registration, which every net.Conn
// Read is, forgets readiness first, so it must try a read: the read after
// each response that fails with EAGAIN. Held, a connection serving
// keep-alive requests waits for the next one without it.) "Empty" comes
// from TCP_INQ, the kernel's count of bytes left after each read, which
// also counts a pending end of stream (a read that ends short is not
// enough: a FIN that arrived with the data raises no further edge, and the
// connection would wait for it forever); without TCP_INQ only EAGAIN
// counts as empty and Hold saves nothing, but stays correct.
//
// step runs with c's read side held: it may Write to c, but every read of
// c must be a Read (directly or through bufio, crypto/tls, ...): ProbeSend,
// CheckIdle, WaitReadable or a nested Hold on c would wait forever for the
// read lock step holds. A Close of c from another goroutine waits until
// step returns (the descriptor stays open while it runs); deadlines only
// end waits, not a step that is running.
func Hold(c net.Conn, step func() bool) (held bool, err error) {
	f, ok := c.(*fastConn)
	if !ok {
		return false, nil
	}
	if f.hold.holdFn == nil {
		f.hold.holdFn = f.doHold // bound once: no closure per call
	}
	f.hold.step = step
	err = f.rc.Read(f.hold.holdFn)
	f.hold.step, f.hold.holding = nil, false
	if err != nil {
		return true, opError("read", f.TCPConn, err)
	}
	return true, nil
}

func (f *fastConn) doHold(fd uintptr) bool {
	h := &f.hold
	if h.inq == inqUnknown {
		h.inq = inqOff
		if unix.SetsockoptInt(int(fd), unix.SOL_TCP, unix.TCP_INQ, 1) == nil {
			h.inq = inqOn
		}
	}
	h.holding, h.fd, h.empty = true, fd, false
	done := h.step()
	h.holding = false
	return done
}

// heldRead is Read inside Hold.
func (f *fastConn) heldRead(b []byte) (int, error) {
	h := &f.hold
	if h.empty {
		return 0, ErrWouldBlock
	}
	n, inq, errno := h.recv(b)
	switch {
	case errno == syscall.EAGAIN:
		h.empty = true
		return 0, ErrWouldBlock
	case errno != 0:
		return 0, opError("read", f.TCPConn, errno)
	case n == 0:
		return 0, io.EOF
	}
	h.empty = inq == 0
	return n, nil
}

// recv is one recvmsg(2) into b, retried on EINTR. inq is the kernel's
// count of bytes still queued after it (at least 1 when the peer's end of
// stream is pending), or -1 when unknown.
func (h *holdState) recv(b []byte) (n, inq int, errno syscall.Errno) {
	h.iov.Base = &b[0]
	h.iov.SetLen(len(b))
	h.msg.Iov = &h.iov
	h.msg.Iovlen = 1
	defer func() { h.iov.Base = nil }() // do not keep the caller's buffer alive
	for {
		h.recvs++
		h.msg.Flags = 0
		h.msg.Control, h.msg.Controllen = nil, 0
		if h.inq == inqOn {
			h.msg.Control = (*byte)(unsafe.Pointer(&h.ctl[0]))
			h.msg.SetControllen(int(unsafe.Sizeof(h.ctl)))
		}
		r, _, e := syscall.RawSyscall(syscall.SYS_RECVMSG, h.fd, uintptr(unsafe.Pointer(&h.msg)), 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return 0, -1, e
		}
		return int(r), h.inqOf(), 0
	}
}

// inqOf reads the TCP_CM_INQ control message recvmsg left, if any.
func (h *holdState) inqOf() int {
	if h.inq != inqOn || int(h.msg.Controllen) < syscall.CmsgLen(4) {
		return -1
	}
	cm := (*syscall.Cmsghdr)(unsafe.Pointer(&h.ctl[0]))
	if cm.Level != unix.SOL_TCP || cm.Type != unix.TCP_CM_INQ {
		return -1
	}
	return int(*(*int32)(unsafe.Add(unsafe.Pointer(&h.ctl[0]), syscall.CmsgLen(0))))
}
