package dataplane

import (
	"errors"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// hblock is one decoded header block (HEADERS and its CONTINUATION
// frames), decoded by the connection's reader into a field slice reused
// from block to block. It is what x/net/http2's Framer.ReadMetaHeaders
// does, with the same checks and limits, without its five to eight
// allocations per block (the MetaHeadersFrame, the emit closure and its
// captured state, the growing field slice). A block is valid until the
// reader decodes the next one: whatever outlives its frame's handling
// (trailers held for a window, a fault delay's request head) is copied.
type hblock struct {
	dec        *hpack.Decoder
	Fields     []hpack.HeaderField
	StreamID   uint32
	ended      bool
	Truncated  bool // the list passed fastMaxHeaderLst: fields dropped from there on
	remain     uint32
	sawRegular bool
	invalid    error
}

func newHblock() *hblock {
	b := &hblock{}
	b.dec = hpack.NewDecoder(4096, b.emit)
	b.dec.SetMaxStringLength(fastMaxHeaderLst)
	return b
}

// StreamEnded reports whether the HEADERS frame carried END_STREAM.
func (b *hblock) StreamEnded() bool { return b.ended }

// PseudoValue returns a pseudo-header's value ("method", not ":method").
func (b *hblock) PseudoValue(name string) string {
	for _, f := range b.Fields {
		if !f.IsPseudo() {
			return ""
		}
		if f.Name[1:] == name {
			return f.Value
		}
	}
	return ""
}

// RegularFields returns the fields after the pseudo-headers (nil if none).
func (b *hblock) RegularFields() []hpack.HeaderField {
	for i, f := range b.Fields {
		if !f.IsPseudo() {
			return b.Fields[i:]
		}
	}
	return nil
}

func (b *hblock) emit(f hpack.HeaderField) {
	if !httpguts.ValidHeaderFieldValue(f.Value) {
		b.invalid = errInvalidField
	}
	if f.IsPseudo() {
		if b.sawRegular {
			b.invalid = errInvalidField // pseudo-header after a regular field
		}
	} else {
		b.sawRegular = true
		if !validFieldName(f.Name) {
			b.invalid = errInvalidField
		}
	}
	if b.invalid != nil {
		b.dec.SetEmitEnabled(false)
		return
	}
	size := f.Size()
	if size > b.remain {
		b.dec.SetEmitEnabled(false)
		b.Truncated = true
		b.remain = 0
		return
	}
	b.remain -= size
	b.Fields = append(b.Fields, f)
}

var errInvalidField = errors.New("h2: invalid header field")

// validFieldName: a token, lower case (RFC 9113 8.2.1).
func validFieldName(v string) bool {
	if v == "" {
		return false
	}
	for _, r := range v {
		if !httpguts.IsTokenRune(r) || 'A' <= r && r <= 'Z' {
			return false
		}
	}
	return true
}

// readBlock decodes the header block that starts with frag (a HEADERS
// frame's, on stream id) and the CONTINUATION frames after it (the
// Framer guarantees they follow, on the same stream). Its errors are those
// of Framer.ReadFrame with ReadMetaHeaders set: a stream error for a
// malformed list, a connection error for a bad encoding or a block far
// past the size limit.
func (c *fconn) readBlock(id uint32, frag []byte, ended, endHeaders bool) (*hblock, error) {
	b := c.hb
	clear(b.Fields)
	b.Fields = b.Fields[:0]
	b.StreamID, b.ended, b.Truncated = id, ended, false
	b.remain, b.sawRegular, b.invalid = fastMaxHeaderLst, false, nil
	b.dec.SetEmitEnabled(true)
	for {
		// A block far past the limit is not decoded just to be dropped,
		// nor anything after an invalid field (x/net's rules).
		if int64(len(frag)) > int64(2*b.remain) || b.invalid != nil {
			return nil, http2.ConnectionError(http2.ErrCodeProtocol)
		}
		if _, err := b.dec.Write(frag); err != nil {
			return nil, http2.ConnectionError(http2.ErrCodeCompression)
		}
		if endHeaders {
			break
		}
		f, err := c.fr.ReadFrame()
		if err != nil {
			return nil, err
		}
		cf := f.(*http2.ContinuationFrame) // the Framer's frame-order check
		frag, endHeaders = cf.HeaderBlockFragment(), cf.HeadersEnded()
	}
	if err := b.dec.Close(); err != nil {
		return nil, http2.ConnectionError(http2.ErrCodeCompression)
	}
	if b.invalid != nil || !b.pseudosValid() {
		return nil, http2.StreamError{StreamID: b.StreamID, Code: http2.ErrCodeProtocol, Cause: errInvalidField}
	}
	return b, nil
}

// pseudosValid: known pseudo-headers, none twice, not a request's and a
// response's mixed.
func (b *hblock) pseudosValid() bool {
	var req, resp bool
	for i, f := range b.Fields {
		if !f.IsPseudo() {
			break
		}
		switch f.Name {
		case ":method", ":path", ":scheme", ":authority", ":protocol":
			req = true
		case ":status":
			resp = true
		default:
			return false
		}
		for _, g := range b.Fields[:i] {
			if g.Name == f.Name {
				return false
			}
		}
	}
	return !(req && resp)
}

// cloneFields copies fields that must outlive their header block.
func cloneFields(fs []hpack.HeaderField) []hpack.HeaderField {
	if fs == nil {
		return nil
	}
	return append(make([]hpack.HeaderField, 0, len(fs)), fs...)
}
