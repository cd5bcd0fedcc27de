package dataplane

import (
	"golang.org/x/net/http2/hpack"
)

// fhalf is one direction of a relayed stream: what is read from src on
// stream srcID is written to dst on stream id. The dst fields are guarded
// by dst.wmu (and, before dst is set, by the stream's mu); the src fields
// by src.wmu.
type fhalf struct {
	st *fstream

	dst         *fconn
	id          uint32
	sendWin     int64
	pend        []byte // read from src, waiting for dst's windows
	resend      []byte // a retry's body sent again before pend (already credited to src)
	endPend     bool   // END_STREAM goes out after pend
	trailers    []hpack.HeaderField
	hasTrailers bool
	ended       bool // END_STREAM written to dst
	inBlocked   bool // listed in dst.blocked
	discard     bool // a local reply was sent: drop what src sends
	relayed     int64

	src         *fconn
	srcID       uint32
	recvWin     int64 // what src's peer may still send on the stream
	recvUnacked int64
	srcEnded    bool // END_STREAM read from src
}

// writeDataLocked writes as much of b as the windows allow (END_STREAM on
// the frame that finishes b when end) and returns how much it wrote.
func (h *fhalf) writeDataLocked(c *fconn, b []byte, end bool) int {
	done := 0
	for done < len(b) {
		n := min(int64(len(b)-done), int64(c.peerMaxFrame), h.sendWin, c.sendWin)
		if n <= 0 {
			break
		}
		last := done+int(n) == len(b)
		_ = c.fr.WriteData(h.id, last && end, b[done:done+int(n)])
		if last && end {
			h.ended = true
			c.ended = true
		}
		h.sendWin -= n
		c.sendWin -= n
		done += int(n)
		c.dirty = true
	}
	return done
}

// pushLocked sends pending data, then data, as the windows allow, and the
// stream's end once everything is out. It returns the bytes written (the
// credit to give back to src). Called under dst.wmu.
func (h *fhalf) pushLocked(c *fconn, data []byte) int64 {
	if c.closed || h.ended || c.streams[h.id] != h.st {
		return int64(len(data)) // the stream is gone: consumed, dropped
	}
	endData := h.endPend && !h.hasTrailers
	var written int
	if len(h.resend) > 0 { // a retry's body so far goes first; it earns src no credit
		n := h.writeDataLocked(c, h.resend, endData && len(h.pend) == 0 && len(data) == 0)
		h.resend = h.resend[n:]
		if len(h.resend) > 0 {
			h.pend = append(h.pend, data...)
			data = nil
		}
	}
	if len(h.resend) > 0 {
		// still blocked on the windows: listed below
	} else if len(h.pend) > 0 {
		h.pend = append(h.pend, data...)
		n := h.writeDataLocked(c, h.pend, endData)
		written = n
		h.pend = h.pend[:copy(h.pend, h.pend[n:])]
	} else if len(data) > 0 {
		n := h.writeDataLocked(c, data, endData)
		written = n
		if n < len(data) {
			h.pend = append(h.pend, data[n:]...)
		}
	}
	h.relayed += int64(written)
	if len(h.pend) > 0 || len(h.resend) > 0 {
		if !h.inBlocked {
			h.inBlocked = true
			h.st.ref() // dropped when pushBlocked takes it off the list
			c.blocked = append(c.blocked, h)
		}
		return int64(written)
	}
	if h.endPend && !h.ended {
		if h.hasTrailers {
			c.writeHeadersLocked(h.id, h.trailers, true)
		} else {
			_ = c.fr.WriteData(h.id, true, nil)
			c.dirty, c.ended = true, true
		}
		h.ended = true
	}
	return int64(written)
}

// relay forwards data (and the stream's end) read on rd from h.src to
// h.dst. rd is the reading connection (its reader flushes dst before it
// blocks), nil on other goroutines (dst is flushed now).
func (h *fhalf) relay(rd *fconn, data []byte, end bool, trailers []hpack.HeaderField) {
	st := h.st
	st.mu.Lock()
	if h == &st.req && st.keepBody && !h.discard {
		st.keepLocked(data)
		if trailers != nil { // kept to send again: the block they came in is reused
			trailers = cloneFields(trailers)
		}
	}
	dst, src := h.dst, h.src
	if dst == nil || h.discard {
		var credit int64
		if h.discard {
			credit = int64(len(data))
		} else { // not attached yet: hold it, bounded by the window src got
			h.pend = append(h.pend, data...)
			h.endPend = h.endPend || end
			if trailers != nil {
				h.trailers, h.hasTrailers = cloneFields(trailers), true
			}
		}
		st.mu.Unlock()
		if credit > 0 {
			src.credit(h, credit, rd == nil)
		}
		return
	}
	st.mu.Unlock()
	dst.wmu.Lock()
	if end {
		h.endPend = true
	}
	if trailers != nil {
		h.trailers, h.hasTrailers = trailers, true
	}
	n := h.pushLocked(dst, data)
	ended := h.ended
	if trailers != nil && !ended { // they wait for a window: the header block they came in is reused
		h.trailers = cloneFields(trailers)
	}
	if rd == nil && dst.dirty {
		_ = dst.flushLocked()
	}
	dst.wmu.Unlock()
	if rd != nil {
		rd.touch(dst)
	}
	src.credit(h, n, rd == nil)
	if ended {
		st.halfEnded(h, rd)
	}
}

// touch remembers a connection the reader wrote to; it is flushed before
// the reader blocks, so frames read in one batch go out in one write.
//
// Except a stream's end: when the reader moves on to another connection,
// the one it wrote to last is flushed now if what it holds ends a stream
// (flushEnded). A response read in a batch (the client-side sidecar's one
// upstream connection carries every client's responses) then leaves as
// soon as it is complete instead of after the rest of the batch is
// handled, at no extra write when each destination is written once per
// batch (one write per destination either way); frames for the same
// destination still go out together (the server-side sidecar's requests
// to its one upstream connection, TestH2FastBatchesWrites). The reader's
// own connection (its WINDOW_UPDATEs, RST_STREAMs) is no move: it flushes
// itself before it blocks. TestH2FastFlushesAnEndedStreamOnTheNextDestination.
func (c *fconn) touch(dst *fconn) {
	if dst != c && c.last != dst {
		if c.last != nil {
			c.last.flushEnded()
		}
		c.last = dst
	}
	for _, t := range c.touched {
		if t == dst {
			return
		}
	}
	c.touched = append(c.touched, dst)
}

// flushTouched flushes every connection this reader wrote to.
func (c *fconn) flushTouched() {
	for i, t := range c.touched {
		t.flush()
		c.touched[i] = nil
	}
	c.touched = c.touched[:0]
	c.last = nil
}

// flushEnded flushes c if what it holds ends a stream.
func (c *fconn) flushEnded() {
	c.wmu.Lock()
	if c.ended && c.dirty {
		_ = c.flushLocked()
	}
	c.wmu.Unlock()
}

type creditTo struct {
	h *fhalf
	n int64
}

// pushBlocked retries every half waiting for this connection's windows
// (after WINDOW_UPDATE or SETTINGS), then credits their sources.
func (c *fconn) pushBlocked() {
	c.wmu.Lock()
	if len(c.blocked) == 0 {
		c.wmu.Unlock()
		return
	}
	var credits []creditTo
	// The list's references to these streams are dropped after the
	// credits below; a half still blocked was listed again (a new one).
	prev := append([]*fhalf(nil), c.blocked...)
	defer func() {
		for _, h := range prev {
			h.st.unref()
		}
	}()
	kept := c.blocked[:0]
	for _, h := range prev {
		h.inBlocked = false
		n := h.pushLocked(c, nil)
		if n > 0 || h.ended {
			credits = append(credits, creditTo{h, n})
		}
		if h.inBlocked {
			kept = append(kept, h)
		}
	}
	for i := len(kept); i < len(c.blocked); i++ {
		c.blocked[i] = nil
	}
	c.blocked = kept
	c.wmu.Unlock()
	for _, cr := range credits {
		src := cr.h.srcConn()
		if src != nil {
			src.credit(cr.h, cr.n, false)
			c.touch(src)
		}
		if cr.h.ended {
			cr.h.st.halfEnded(cr.h, c)
		}
	}
}

// srcConn reads h.src under the stream's lock (a retry moves the
// response half's source to a new upstream connection).
func (h *fhalf) srcConn() *fconn {
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	return h.src
}
