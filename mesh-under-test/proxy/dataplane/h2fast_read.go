package dataplane

import (
	"errors"

	"golang.org/x/net/http2"
)

// serve is the connection's one reader: it reads frames until the
// connection ends, relaying each as it comes. Writes it caused are
// flushed when no further frame is already buffered.
func (c *fconn) serve() {
	defer c.teardown()
	for {
		if c.br.Buffered() == 0 {
			c.flushTouched()
			c.flush()
		}
		b, err := c.readFrame(&c.in)
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				c.onStreamError(se)
				continue
			}
			var ce http2.ConnectionError
			switch {
			case errors.As(err, &ce):
				c.goAway(http2.ErrCode(ce))
			case errors.Is(err, http2.ErrFrameTooLarge):
				c.goAway(http2.ErrCodeFrameSize)
			}
			return
		}
		switch {
		case b != nil:
			err = c.onHeaders(b)
		case c.in.f == nil:
			err = c.handleParsed(&c.in)
		default:
			err = c.handle(c.in.f)
		}
		if err != nil {
			var ce http2.ConnectionError
			code := http2.ErrCodeProtocol
			if errors.As(err, &ce) {
				code = http2.ErrCode(ce)
			} else if errors.Is(err, errFlow) {
				code = http2.ErrCodeFlowControl
			}
			c.goAway(code)
			return
		}
	}
}

func (c *fconn) handle(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if f.IsAck() {
			return nil
		}
		if err := c.applySettings(f); err != nil {
			return err
		}
		c.pushBlocked() // a larger initial window may open streams
	case *http2.DataFrame:
		return c.onData(f)
	case *http2.RSTStreamFrame:
		if st := c.stream(f.StreamID); st != nil {
			st.onReset(c, f.ErrCode)
			st.unref()
		}
	case *http2.GoAwayFrame:
		c.onGoAway(f)
	case *http2.PushPromiseFrame:
		return http2.ConnectionError(http2.ErrCodeProtocol) // we said ENABLE_PUSH 0
	}
	return nil
}

// handleParsed handles a PING or WINDOW_UPDATE frame parsed by readFrame.
func (c *fconn) handleParsed(in *frameIn) error {
	switch in.hdr.Type {
	case http2.FramePing:
		if !in.hdr.Flags.Has(http2.FlagPingAck) {
			c.wmu.Lock()
			_ = c.fr.WritePing(true, in.ping)
			c.dirty = true
			c.wmu.Unlock()
		}
	case http2.FrameWindowUpdate:
		return c.onWindowUpdate(in.hdr.StreamID, in.inc)
	}
	return nil
}

// stream returns stream id with a reference the caller drops (unref).
func (c *fconn) stream(id uint32) *fstream {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	st := c.streams[id]
	if st != nil {
		st.ref()
	}
	return st
}

func (c *fconn) onWindowUpdate(id, increment uint32) error {
	inc := int64(increment)
	c.wmu.Lock()
	if id == 0 {
		c.sendWin += inc
		over := c.sendWin > 1<<31-1
		c.wmu.Unlock()
		if over {
			return http2.ConnectionError(http2.ErrCodeFlowControl)
		}
		c.pushBlocked()
		return nil
	}
	st := c.streams[id]
	var h *fhalf
	if st != nil {
		h = st.halfTo(c)
	}
	if h == nil {
		c.wmu.Unlock()
		return nil // a closed stream's update: allowed, ignored
	}
	h.sendWin += inc
	over := h.sendWin > 1<<31-1
	c.wmu.Unlock()
	if over {
		c.onStreamError(http2.StreamError{StreamID: id, Code: http2.ErrCodeFlowControl})
		return nil
	}
	c.pushBlocked()
	return nil
}

// onData checks the peer kept to its windows, then relays the payload.
func (c *fconn) onData(f *http2.DataFrame) error {
	n := int64(f.Length)
	c.wmu.Lock()
	if n > c.recvWin {
		c.wmu.Unlock()
		return errFlow
	}
	c.recvWin -= n
	st := c.streams[f.StreamID]
	var h *fhalf
	if st != nil {
		h = st.halfFrom(c)
	}
	if h == nil || h.srcEnded {
		c.wmu.Unlock()
		c.credit(nil, n, false) // a closed or reset stream's data: the connection still counted it
		if h != nil {
			return http2.ConnectionError(http2.ErrCodeStreamClosed)
		}
		return nil
	}
	if n > h.recvWin {
		c.wmu.Unlock()
		c.onStreamError(http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeFlowControl})
		c.credit(nil, n, false)
		return nil
	}
	h.recvWin -= n
	end := f.StreamEnded()
	if end {
		h.srcEnded = true
	}
	st.ref()
	c.wmu.Unlock()
	defer st.unref()
	data := f.Data()
	if pad := n - int64(len(data)); pad > 0 {
		c.credit(h, pad, false)
	}
	if !st.countBody(c, len(data), end) {
		return nil
	}
	h.relay(c, data, end, nil)
	return nil
}

// onHeaders takes a header block: a new request (server), a response
// (client), or trailers (either).
func (c *fconn) onHeaders(f *hblock) error {
	id := f.StreamID
	c.wmu.Lock()
	st := c.streams[id]
	var h *fhalf
	if st != nil {
		h = st.halfFrom(c)
		st.ref()
	}
	c.wmu.Unlock()
	if st != nil {
		defer st.unref()
		return st.onHeaders(c, h, f)
	}
	if !c.server {
		return nil // a stream we reset: its late answer is dropped
	}
	if id%2 == 0 {
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	c.wmu.Lock()
	if id <= c.lastID {
		c.wmu.Unlock()
		return http2.ConnectionError(http2.ErrCodeStreamClosed) // stream IDs never come back
	}
	c.lastID = id
	refuse := c.goaway || c.active >= fastMaxStreams
	c.wmu.Unlock()
	if refuse {
		c.resetStream(id, http2.ErrCodeRefusedStream, false)
		return nil
	}
	c.srv.onRequest(id, f)
	return nil
}

func (c *fconn) onStreamError(se http2.StreamError) {
	st := c.stream(se.StreamID)
	c.resetStream(se.StreamID, se.Code, false)
	if st != nil {
		st.onReset(c, se.Code)
		st.unref()
	}
}

// onGoAway: no new streams here; streams the peer never processed (above
// its last ID, on an upstream) fail as resets, which retries may repeat.
func (c *fconn) onGoAway(f *http2.GoAwayFrame) {
	c.wmu.Lock()
	c.goaway = true
	var lost []*fstream
	if !c.server {
		for id, st := range c.streams {
			if id > f.LastStreamID {
				st.ref()
				lost = append(lost, st)
			}
		}
	}
	c.wmu.Unlock()
	for _, st := range lost {
		st.onReset(c, http2.ErrCodeRefusedStream)
		st.unref()
	}
}

// teardown ends every stream still open on the connection.
func (c *fconn) teardown() {
	c.flushTouched()
	c.wmu.Lock()
	c.closeLocked()
	sts := make([]*fstream, 0, len(c.streams))
	for _, st := range c.streams {
		st.ref()
		sts = append(sts, st)
	}
	c.wmu.Unlock()
	for _, st := range sts {
		st.onReset(c, http2.ErrCodeCancel)
		st.unref()
	}
	if c.onClosed != nil {
		c.onClosed(c)
	}
}
