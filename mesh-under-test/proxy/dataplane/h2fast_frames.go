package dataplane

import (
	"encoding/binary"
	"io"

	"golang.org/x/net/http2"
)

// The lean path parses HEADERS, PING and WINDOW_UPDATE itself, after
// x/net's Framer has read and checked the frame header (size limit, the
// HEADERS/CONTINUATION order): the Framer makes a new frame struct for
// each of these (it reuses only DATA frames), two to three per proxied
// request and, for gRPC, a PING and a WINDOW_UPDATE more, which was all
// the lean path still allocated per request. The checks are x/net's
// (parseHeadersFrame, parsePingFrame, parseWindowUpdateFrame), except that
// a HEADERS frame too short for its padding or priority fields is a
// connection error (PROTOCOL_ERROR, RFC 9113 6.2) where x/net drops the
// connection without GOAWAY.

// frameIn is one frame read by the connection's reader: either parsed here
// (hdr set, and the fields of its type) or by the Framer (f).
type frameIn struct {
	f   http2.Frame
	hdr http2.FrameHeader
	inc uint32 // WINDOW_UPDATE's increment
	// PING's data; WINDOW_UPDATE's payload is read into its first 4 bytes
	// (a local array would escape through io.ReadFull: an allocation)
	ping [8]byte
}

// readFrame reads the next frame. A HEADERS frame comes back decoded with
// its CONTINUATION frames (b set).
func (c *fconn) readFrame(in *frameIn) (*hblock, error) {
	fh, err := c.fr.ReadFrameHeader()
	if err != nil {
		return nil, err
	}
	*in = frameIn{hdr: fh}
	switch fh.Type {
	case http2.FrameHeaders:
		p, err := c.readPayload(fh.Length)
		if err != nil {
			return nil, err
		}
		frag, err := headersFragment(fh, p)
		if err != nil {
			return nil, err
		}
		return c.readBlock(fh.StreamID, frag, fh.Flags.Has(http2.FlagHeadersEndStream), fh.Flags.Has(http2.FlagHeadersEndHeaders))
	case http2.FramePing:
		if fh.Length != 8 {
			return nil, http2.ConnectionError(http2.ErrCodeFrameSize)
		}
		if _, err := io.ReadFull(c.br, in.ping[:]); err != nil {
			return nil, err
		}
		if fh.StreamID != 0 {
			return nil, http2.ConnectionError(http2.ErrCodeProtocol)
		}
		return nil, nil
	case http2.FrameWindowUpdate:
		if fh.Length != 4 {
			return nil, http2.ConnectionError(http2.ErrCodeFrameSize)
		}
		p := in.ping[:4]
		if _, err := io.ReadFull(c.br, p); err != nil {
			return nil, err
		}
		in.inc = binary.BigEndian.Uint32(p) & 0x7fffffff
		if in.inc == 0 { // RFC 9113 6.9: a stream error, or a connection error on stream 0
			if fh.StreamID == 0 {
				return nil, http2.ConnectionError(http2.ErrCodeProtocol)
			}
			return nil, http2.StreamError{StreamID: fh.StreamID, Code: http2.ErrCodeProtocol}
		}
		return nil, nil
	}
	in.f, err = c.fr.ReadFrameForHeader(fh)
	return nil, err
}

// readPayload reads n bytes into the connection's payload buffer (grown on
// first use up to the largest frame read: fastMaxFrame at most), valid
// until the next read.
func (c *fconn) readPayload(n uint32) ([]byte, error) {
	if int(n) > cap(c.payload) {
		c.payload = make([]byte, max(n, 512))
	}
	p := c.payload[:n]
	if _, err := io.ReadFull(c.br, p); err != nil {
		return nil, err
	}
	return p, nil
}

// headersFragment strips a HEADERS frame's padding and priority fields.
func headersFragment(fh http2.FrameHeader, p []byte) ([]byte, error) {
	if fh.StreamID == 0 {
		return nil, http2.ConnectionError(http2.ErrCodeProtocol)
	}
	var pad int
	if fh.Flags.Has(http2.FlagHeadersPadded) {
		if len(p) < 1 {
			return nil, http2.ConnectionError(http2.ErrCodeProtocol)
		}
		pad, p = int(p[0]), p[1:]
	}
	if fh.Flags.Has(http2.FlagHeadersPriority) {
		if len(p) < 5 {
			return nil, http2.ConnectionError(http2.ErrCodeProtocol)
		}
		p = p[5:]
	}
	if pad > len(p) {
		return nil, http2.ConnectionError(http2.ErrCodeProtocol)
	}
	return p[:len(p)-pad], nil
}
