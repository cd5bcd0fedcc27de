package dataplane

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// The lean HTTP/2 path (--h2-fast): x/net/http2's Framer and hpack used
// directly, one goroutine reading each connection (downstream and
// upstream), no goroutine per stream. A frame read on one connection is
// relayed onto the other by the reading goroutine itself, under the
// destination's write lock; each side's flow-control windows are obeyed
// and credit is returned to the sender only as data is written onward, so
// a slow reader on one side slows the writer on the other instead of
// growing a buffer.

// Window sizes this proxy advertises. A stream may hold up to fastStreamWin
// bytes buffered while the other side's window is shut, a connection
// fastConnWin: the memory bound of a peer that ignores flow control is the
// connection window, after which it gets FLOW_CONTROL_ERROR.
const (
	fastStreamWin    = 256 << 10
	fastConnWin      = 1 << 20
	fastMaxFrame     = 16 << 10
	fastMaxStreams   = 250     // x/net/http2.Server's default, as the old path
	fastMaxHeaderLst = 1 << 20 // http.DefaultMaxHeaderBytes, as the old path
	fastWriteTimeout = 10 * time.Second
)

// fconn is one HTTP/2 connection of the lean path: downstream (server) or
// upstream (client). Only its reader goroutine reads fr; writes happen on
// any goroutine under wmu.
type fconn struct {
	nc     net.Conn
	br     *bufio.Reader
	fr     *http2.Framer
	bw     *bufio.Writer
	server bool
	// onClosed runs once when the connection ends (the pool drops it).
	onClosed func(*fconn)

	wmu    sync.Mutex
	enc    *hpack.Encoder
	encBuf bytes.Buffer
	// flow control: what we may send (peer's windows) and what the peer
	// may still send us on the connection.
	sendWin      int64
	peerInit     int64
	peerMaxFrame uint32
	peerMaxStrm  uint32
	recvWin      int64
	recvUnacked  int64
	streams      map[uint32]*fstream
	blocked      []*fhalf // halves holding data for a window
	closed       bool
	goaway       bool   // no new streams (sent or received)
	lastID       uint32 // server: highest stream ID seen; client: highest opened
	nextID       uint32 // client: next stream ID
	active       int    // open streams (a client counts reservations too)
	dirty        bool   // written but not flushed
	ended        bool   // what is buffered ends a stream (flushEnded)
	flushes      int    // flushes that wrote bytes (tests pin the batching)

	srv     *fserver // downstream: the proxy side that takes requests
	hb      *hblock  // reader-local: the header block being decoded
	in      frameIn  // reader-local: the frame being handled
	payload []byte   // reader-local: a HEADERS frame's payload (readFrame)
	touched []*fconn // reader-local: connections to flush before blocking
	last    *fconn   // reader-local: the connection touched last (touch)
}

func newFconn(nc net.Conn, br *bufio.Reader, server bool) *fconn {
	c := &fconn{nc: nc, br: br, bw: bufio.NewWriterSize(nc, 16<<10), server: server,
		sendWin: 65535, peerInit: 65535, peerMaxFrame: 16384, peerMaxStrm: 100,
		recvWin: 65535, streams: map[uint32]*fstream{}, nextID: 1}
	c.fr = http2.NewFramer(c.bw, br)
	c.fr.SetReuseFrames() // a DATA frame is relayed before the next read: no frame per read
	c.hb = newHblock()    // header blocks are decoded by readBlock, not the Framer (readFrame)
	c.fr.MaxHeaderListSize = fastMaxHeaderLst
	c.fr.SetMaxReadFrameSize(fastMaxFrame)
	c.enc = hpack.NewEncoder(&c.encBuf)
	return c
}

// start writes our connection preface (a client's magic, SETTINGS, and
// the connection window's growth to fastConnWin).
func (c *fconn) start() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.server {
		if _, err := c.bw.WriteString(http2.ClientPreface); err != nil {
			return err
		}
	}
	s := []http2.Setting{{ID: http2.SettingInitialWindowSize, Val: fastStreamWin},
		{ID: http2.SettingMaxFrameSize, Val: fastMaxFrame},
		{ID: http2.SettingMaxHeaderListSize, Val: fastMaxHeaderLst}}
	if c.server {
		s = append(s, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: fastMaxStreams})
	} else {
		s = append(s, http2.Setting{ID: http2.SettingEnablePush, Val: 0})
	}
	_ = c.fr.WriteSettings(s...)
	_ = c.fr.WriteWindowUpdate(0, fastConnWin-65535)
	c.recvWin = fastConnWin
	return c.flushLocked()
}

func (c *fconn) flushLocked() error {
	c.dirty, c.ended = false, false
	if c.closed {
		return net.ErrClosed
	}
	if c.bw.Buffered() > 0 {
		c.flushes++
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(fastWriteTimeout))
	if err := c.bw.Flush(); err != nil {
		c.closeLocked()
		return err
	}
	return nil
}

// flush writes out what was written but not flushed.
func (c *fconn) flush() {
	c.wmu.Lock()
	if c.dirty {
		_ = c.flushLocked()
	}
	c.wmu.Unlock()
}

func (c *fconn) closeLocked() {
	if !c.closed {
		c.closed = true
		_ = c.nc.Close()
	}
}

// writeHeadersLocked encodes fields and writes them as HEADERS (and
// CONTINUATION frames past the peer's frame size).
func (c *fconn) writeHeadersLocked(id uint32, fields []hpack.HeaderField, end bool) {
	c.encBuf.Reset()
	for _, f := range fields {
		_ = c.enc.WriteField(f)
	}
	b := c.encBuf.Bytes()
	max := int(c.peerMaxFrame)
	first := true
	for first || len(b) > 0 {
		chunk := b
		if len(chunk) > max {
			chunk = chunk[:max]
		}
		b = b[len(chunk):]
		if first {
			_ = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: chunk, EndStream: end, EndHeaders: len(b) == 0})
			first = false
		} else {
			_ = c.fr.WriteContinuation(id, len(b) == 0, chunk)
		}
	}
	c.dirty = true
	c.ended = c.ended || end
}

func (c *fconn) writeRSTLocked(id uint32, code http2.ErrCode) {
	_ = c.fr.WriteRSTStream(id, code)
	c.dirty = true
}

// resetStream sends RST_STREAM and forgets the stream on this connection.
func (c *fconn) resetStream(id uint32, code http2.ErrCode, now bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if st := c.streams[id]; st != nil {
		delete(c.streams, id)
		c.active--
	}
	c.writeRSTLocked(id, code)
	if now {
		_ = c.flushLocked()
	}
}

// goAway sends GOAWAY and marks the connection closed to new streams.
func (c *fconn) goAway(code http2.ErrCode) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.goaway && code == http2.ErrCodeNo {
		return
	}
	c.goaway = true
	_ = c.fr.WriteGoAway(c.lastID, code, nil)
	_ = c.flushLocked()
}

// credit returns n bytes of flow-control credit to the peer: consumed on
// stream h (nil: connection only). Window updates go out in batches of at
// least a quarter window, so small messages cost no extra frames.
func (c *fconn) credit(h *fhalf, n int64, flushNow bool) {
	if n <= 0 {
		return
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return
	}
	c.recvUnacked += n
	if c.recvUnacked >= fastConnWin/4 {
		_ = c.fr.WriteWindowUpdate(0, uint32(c.recvUnacked))
		c.recvWin += c.recvUnacked
		c.recvUnacked = 0
		c.dirty = true
	}
	if h != nil && !h.srcEnded {
		h.recvUnacked += n
		if h.recvUnacked >= fastStreamWin/4 {
			_ = c.fr.WriteWindowUpdate(h.srcID, uint32(h.recvUnacked))
			h.recvWin += h.recvUnacked
			h.recvUnacked = 0
			c.dirty = true
		}
	}
	if flushNow && c.dirty {
		_ = c.flushLocked()
	}
}

// errFlow is a peer sending past the window it was given.
var errFlow = errors.New("h2: flow control window exceeded")

// applySettings takes the peer's SETTINGS: a new initial window moves
// every open stream's send window by the difference (RFC 9113 6.9.2).
func (c *fconn) applySettings(f *http2.SettingsFrame) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			delta := int64(s.Val) - c.peerInit
			c.peerInit = int64(s.Val)
			for _, st := range c.streams {
				if h := st.halfTo(c); h != nil {
					h.sendWin += delta
					if h.sendWin > 1<<31-1 {
						return http2.ConnectionError(http2.ErrCodeFlowControl)
					}
				}
			}
		case http2.SettingMaxFrameSize:
			c.peerMaxFrame = s.Val
		case http2.SettingMaxConcurrentStreams:
			c.peerMaxStrm = s.Val
		case http2.SettingHeaderTableSize:
			c.enc.SetMaxDynamicTableSizeLimit(s.Val)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_ = c.fr.WriteSettingsAck()
	c.dirty = true
	return nil
}
