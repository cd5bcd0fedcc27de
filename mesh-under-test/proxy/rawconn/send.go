package rawconn

import (
	"net"
)

// ProbeSend is CheckIdle fused with sending a request on the connection and
// waiting for its answer, for a caller that reads the response next. In one
// registration with the runtime poller it probes the idle connection (the
// recv(2) with MSG_PEEK of CheckIdle), calls send only when the probe finds
// nothing to read and no close, and then parks until the socket is readable.
// The state returned is the probe's; err is send's (nil when send was not
// called). When the state is not Quiet (or Unknown) nothing was sent: the
// caller closes the connection and takes another.
//
// Why: a probe followed by a send and a read costs the probe, the write, a
// read that fails with EAGAIN (the answer cannot be there yet) and the read
// that gets it. Here the probe stands in for the failing read: the same
// system calls as sending without any probe. The wait cannot miss the
// answer: the poller forgets earlier readiness when the registration starts,
// which is before the probe, and anything arriving after it wakes the wait.
//
// A connection this package cannot probe (not Wrap'ed) gets send alone and
// the state Unknown. On TLS the TCP socket is probed: a close is reported,
// pending bytes (TLS records without data) are not, and send then goes out
// without the wait. Deadlines apply to the wait; when it ends in an error
// (deadline, close), ProbeSend still reports the send's result and the
// caller's read reports the error. send runs while the connection's read
// side is held by the poller: it may write to c but must never read from it
// (a TLS connection must have finished its handshake).
func ProbeSend(c net.Conn, send func() error) (IdleState, error) {
	f, isTLS, ok := fastUnder(c)
	if !ok {
		return Unknown, send()
	}
	f.send, f.sent, f.sendErr, f.probeTLS, f.peekState = send, false, nil, isTLS, Unknown
	err := f.rc.Read(f.sendFn)
	state, sendErr := f.peekState, f.sendErr
	f.send, f.sendErr = nil, nil
	switch {
	case f.sent:
		return Quiet, sendErr // sent: the wait's own error, if any, is the reader's to see
	case err != nil:
		return PeerClosed, nil // closed locally or failed before the probe
	}
	return state, nil
}

func (f *fastConn) doProbeSend(fd uintptr) bool {
	if f.sent {
		return true // woken: readable, or failed; the caller's read tells which
	}
	f.doPeek(fd)
	pending := f.probeTLS && f.peekState == Unsolicited
	if f.peekState != Quiet && !pending {
		return true // unsolicited bytes or a close: do not send
	}
	f.sent = true
	f.sendErr = f.send()
	// Wait for the answer only when the socket was empty and the request
	// went out; with bytes pending no new readiness may come.
	return f.sendErr != nil || pending
}
