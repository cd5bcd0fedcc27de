package dataplane

import (
	"errors"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/rawconn"
)

// heldExit is why serveHeld let its registration go.
type heldExit uint8

const (
	// heldEnd: the connection is done (peer closed, idle timeout,
	// shutdown, a request that ends it).
	heldEnd heldExit = iota
	// heldBlocking: the buffered bytes are not a whole head (a head split
	// across segments, a slow client, a head larger than the buffer), the
	// registration ended in an error (a deadline, a close), or the
	// connection cannot be held: the blocking path reads the request.
	heldBlocking
	// heldParsed: h.req holds a head whose request needs reads of the
	// client (a body not yet buffered, chunked, an upgrade): the blocking
	// path serves it.
	heldParsed
	// heldBadHead: the head in the buffer is malformed (the error is
	// serveHeld's).
	heldBadHead
)

// heldState is an h1conn's part of serveHeld.
type heldState struct {
	step func() bool // h.heldStep, bound once
	on   bool        // inside the registration: reads must not wait
	// linger: lingerClose was asked for inside: it runs after.
	linger bool
	exit   heldExit
	err    error
}

// serveHeld serves the requests that arrive whole (head and body in the
// read buffer) inside one read registration with the runtime poller
// (rawconn.Hold), so that after a response the connection waits for the
// next request without the read that finds nothing (EAGAIN): a
// net.Conn Read starts a new registration, which forgets the socket's
// readiness, so it must try a read before it waits (docs/proxy.md, "HTTP/1.1
// beside HAProxy"). The first request that needs more reads (a body still
// arriving, chunked, an upgrade, a head in pieces) leaves for the blocking
// path, which serves it exactly as before; every check (admission,
// smuggling rules, the pool-desync probe) is the same code on both paths.
//
// Inside, the connection is busy with its read side held: the idle
// sweeper and Shutdown reach it through its read deadline only while it
// waits between requests, as before; a Close from another goroutine waits
// until the request in progress ends (rawconn.Hold), so Shutdown closes
// connections without waiting for that.
func (h *h1conn) serveHeld() (heldExit, error) {
	h.held.exit, h.held.err = heldEnd, nil
	held, err := rawconn.Hold(h.tc.Conn, h.held.step)
	if !held {
		return heldBlocking, nil
	}
	if h.held.linger {
		h.held.linger = false
		h.lingerClose()
	}
	if err != nil {
		// A deadline (idle or head timeout, Shutdown) or a close, while
		// waiting between requests or already when the registration began
		// (gatherHead's head timeout: the head it gathered is buffered):
		// the blocking path reads what is buffered and meets the same
		// error, and answers it as it always has (408 for a head cut short).
		return heldBlocking, nil
	}
	return h.held.exit, h.held.err
}

// heldStep is serveHeld's rawconn.Hold step: it serves every whole request
// in the buffer and reads the socket when the buffer is empty; false
// waits for the socket to be readable (called again then).
func (h *h1conn) heldStep() bool {
	h.held.on = true
	defer func() { h.held.on = false }()
	for {
		if h.br.Buffered() == 0 {
			h.tc.setState(connIdle)
			if h.p.draining.Load() {
				return true // after the idle state: Shutdown's wake-up cannot be missed either way
			}
			if _, err := h.br.Peek(1); err != nil {
				// wait, or closed (heldEnd); the comparison first: the wait
				// comes once per request and errors.Is walks reflection.
				return err != rawconn.ErrWouldBlock && !errors.Is(err, rawconn.ErrWouldBlock)
			}
		}
		if buf, _ := h.br.Peek(h.br.Buffered()); !http1.HeadComplete(buf) {
			h.held.exit = heldBlocking
			return true
		}
		h.tc.setState(connHead)
		h.req.Limits = h.chain.HTTP.Limits.Head
		if err := h.req.Read(h.br); err != nil {
			h.held.exit, h.held.err = heldBadHead, err
			return true
		}
		if !h.beginRequest() {
			h.held.exit = heldEnd
			return true
		}
		if r := h.req; r.Upgrade || r.Chunked || r.ContentLength > int64(h.br.Buffered()) {
			h.held.exit = heldParsed
			return true
		}
		if !h.keepServing(h.serveOne(time.Now())) {
			h.held.exit = heldEnd
			return true
		}
		h.tc.setLimits(&h.chain.HTTP.Limits)
	}
}
