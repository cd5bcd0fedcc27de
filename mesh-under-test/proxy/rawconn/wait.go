package rawconn

import (
	"io"
	"net"
)

// WaitReadable blocks until c has bytes to read or its peer has closed,
// and reads nothing: it parks in the runtime poller like a Read, but needs
// no buffer, so a connection that was accepted and has not sent its first
// byte costs no read buffer and only the small stack of the goroutine
// waiting in it (Envoy likewise gives a connection its buffers only once
// its listener filters have seen bytes). It returns nil when a Read would
// return data now, io.EOF when the peer closed without sending, the
// socket's error when it was reset, and the Read error a deadline or a
// local Close causes. One recv(2) with MSG_PEEK|MSG_DONTWAIT per wake-up,
// no allocation. It is a read: not concurrently with Read. A conn that Wrap
// did not make (not TCP) returns nil at once.
func WaitReadable(c net.Conn) error {
	f, ok := c.(*fastConn)
	if !ok {
		return nil
	}
	f.peekWait = true
	err := f.rc.Read(f.peekFn)
	f.peekWait = false
	switch {
	case err != nil:
		return opError("read", f.TCPConn, err)
	case f.peekErr != 0:
		return opError("read", f.TCPConn, f.peekErr)
	case f.peekState == PeerClosed:
		return io.EOF
	}
	return nil
}
