package rawconn

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// PollRound lets a goroutine step aside until the runtime's network
// poller has run. A loop that never blocks (an accept loop with a full
// backlog: every accept(2) succeeds at once) keeps its P busy, and Go polls
// the network only when a P runs out of goroutines or when sysmon steps in
// (every 10 ms at most), so goroutines whose sockets became readable wait
// behind the loop unseen. Wait makes the loop itself wait on the poller:
// it writes a byte into a pipe and parks until a netpoll reports the pipe
// readable, and that same netpoll makes every other ready socket's
// goroutine runnable. Envoy gets the same from its event loop when a
// listener's max_connections_to_accept_per_socket_event bounds the accepts
// handled per socket event. A PollRound is not for concurrent use.
type PollRound struct {
	r, w  *os.File
	rc    syscall.RawConn
	wfd   uintptr
	armed bool
	buf   [8]byte
	fn    func(fd uintptr) bool
}

// NewPollRound returns a PollRound over a new pipe (two file descriptors
// until Close).
func NewPollRound() (*PollRound, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("poll round: %w", err)
	}
	y := &PollRound{r: r, w: w}
	rc, err := r.SyscallConn()
	if err == nil {
		var wrc syscall.RawConn
		if wrc, err = w.SyscallConn(); err == nil {
			err = wrc.Control(func(fd uintptr) { y.wfd = fd }) // Fd() would make the pipe blocking
		}
	}
	if err != nil {
		_ = r.Close()
		_ = w.Close()
		return nil, fmt.Errorf("poll round: %w", err)
	}
	y.rc, y.fn = rc, y.step
	return y, nil
}

// Wait returns once the network poller has run after the call (or at
// once when another P polled in the meantime), or with the error Close
// causes. It does not allocate.
func (y *PollRound) Wait() error {
	y.armed = true
	return y.rc.Read(y.fn)
}

// step is the pipe's read hook. The byte is written on the first call,
// after RawConn.Read has reset the pipe's readiness, so the poller reports
// the readiness this write causes to the Wait parked below.
func (y *PollRound) step(fd uintptr) bool {
	p := uintptr(unsafe.Pointer(&y.buf[0]))
	if y.armed {
		y.armed = false
		if _, _, e := syscall.RawSyscall(syscall.SYS_WRITE, y.wfd, p, 1); e != 0 {
			return true // cannot arm (never for a drained pipe): do not wait
		}
		return false
	}
	_, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, p, uintptr(len(y.buf))) // also what an unread earlier write left
	return e != syscall.EAGAIN
}

// Close releases the pipe; a Wait in progress returns an error.
func (y *PollRound) Close() error {
	err := y.r.Close()
	if werr := y.w.Close(); err == nil {
		err = werr
	}
	return err
}
