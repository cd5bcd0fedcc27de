package dataplane

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
)

// TestH2FastOwnFrameParsingRefusesMalformedFrames: the HEADERS, PING and
// WINDOW_UPDATE frames the lean path parses itself (readFrame) are refused
// as RFC 9113 says, over a real socket: a connection error ends the
// connection with GOAWAY and its code.
func TestH2FastOwnFrameParsingRefusesMalformedFrames(t *testing.T) {
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "fine") })
	_, pa := fastProxy(t, up)
	get := []byte{0x82, 0x86, 0x84, 0x41, 0x01, 'x'} // GET http / (static table), :authority x
	for _, tc := range []struct {
		name  string
		typ   http2.FrameType
		flags http2.Flags
		id    uint32
		body  []byte
		want  http2.ErrCode
	}{
		{"PING of 7 bytes", http2.FramePing, 0, 0, make([]byte, 7), http2.ErrCodeFrameSize},
		{"PING on a stream", http2.FramePing, 0, 1, make([]byte, 8), http2.ErrCodeProtocol},
		{"WINDOW_UPDATE of 3 bytes", http2.FrameWindowUpdate, 0, 0, []byte{0, 0, 1}, http2.ErrCodeFrameSize},
		{"WINDOW_UPDATE of 5 bytes", http2.FrameWindowUpdate, 0, 0, []byte{0, 0, 0, 1, 0}, http2.ErrCodeFrameSize},
		{"connection WINDOW_UPDATE of 0", http2.FrameWindowUpdate, 0, 0, []byte{0, 0, 0, 0}, http2.ErrCodeProtocol},
		{"HEADERS on stream 0", http2.FrameHeaders, http2.FlagHeadersEndHeaders | http2.FlagHeadersEndStream, 0, get, http2.ErrCodeProtocol},
		{"HEADERS padded past its payload", http2.FrameHeaders, http2.FlagHeadersEndHeaders | http2.FlagHeadersPadded, 1,
			append([]byte{200}, get...), http2.ErrCodeProtocol},
		{"HEADERS with its pad length missing", http2.FrameHeaders, http2.FlagHeadersEndHeaders | http2.FlagHeadersPadded, 1, nil, http2.ErrCodeProtocol},
		{"HEADERS with a short priority field", http2.FrameHeaders, http2.FlagHeadersEndHeaders | http2.FlagHeadersPriority, 1,
			[]byte{0, 0, 0}, http2.ErrCodeProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, gotAway := sendUntilEnd(t, pa, func(t *testing.T, fr *http2.Framer) {
				require.NoError(t, fr.WriteRawFrame(tc.typ, tc.flags, tc.id, tc.body))
			})
			assert.True(t, gotAway, "GOAWAY sent")
			assert.Equal(t, tc.want, code)
		})
	}
}

// TestH2FastOwnFrameParsingServesWellFormedFrames: a padded HEADERS frame
// with a priority field is served, a PING is answered with its data, and a
// WINDOW_UPDATE of 0 on an open stream resets that stream only.
func TestH2FastOwnFrameParsingServesWellFormedFrames(t *testing.T) {
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // /open's never ends: its stream stays open
		_, _ = io.WriteString(w, "fine "+r.URL.Path)
	})
	_, pa := fastProxy(t, up)
	_, fr := rawH2(t, pa)

	// pad length 3, priority (exclusive on stream 0, weight 16), block, padding
	block := headerBlock(t, ":method", "GET", ":scheme", "http", ":path", "/padded", ":authority", "x")
	p := append([]byte{3, 0x80, 0, 0, 0, 16}, block...)
	p = append(p, 0, 0, 0)
	require.NoError(t, fr.WriteRawFrame(http2.FrameHeaders, http2.FlagHeadersEndHeaders|http2.FlagHeadersEndStream|
		http2.FlagHeadersPadded|http2.FlagHeadersPriority, 1, p))
	status, body := h2StreamOutcome(t, fr, 1)
	assert.Equal(t, "200", status)
	assert.Equal(t, "fine /padded", body)

	data := [8]byte{'m', 'e', 's', 'h', 'p', 'i', 'n', 'g'}
	require.NoError(t, fr.WritePing(false, data))
	for {
		f, err := fr.ReadFrame()
		require.NoError(t, err)
		if pf, ok := f.(*http2.PingFrame); ok {
			assert.True(t, pf.IsAck())
			assert.Equal(t, data, pf.Data)
			break
		}
	}

	// stream 3 stays open (no END_STREAM): a zero WINDOW_UPDATE on it is a
	// stream error, answered with RST_STREAM PROTOCOL_ERROR
	require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, EndHeaders: true, BlockFragment: postHeaders(t, "/open")}))
	require.NoError(t, fr.WriteRawFrame(http2.FrameWindowUpdate, 0, 3, []byte{0, 0, 0, 0}))
	for {
		f, err := fr.ReadFrame()
		require.NoError(t, err)
		if rst, ok := f.(*http2.RSTStreamFrame); ok && rst.StreamID == 3 {
			assert.Equal(t, http2.ErrCodeProtocol, rst.ErrCode)
			break
		}
		_, away := f.(*http2.GoAwayFrame)
		require.False(t, away, "a stream error must not end the connection")
	}
	require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 5, EndStream: true, EndHeaders: true,
		BlockFragment: headerBlock(t, ":method", "GET", ":scheme", "http", ":path", "/after", ":authority", "x")}))
	status, body = h2StreamOutcome(t, fr, 5)
	assert.Equal(t, "200", status, "the connection still serves")
	assert.Equal(t, "fine /after", body)
}

// TestH2FastReadFrameAllocatesNothing: reading a HEADERS frame (its block
// decoded), a PING and a WINDOW_UPDATE allocates nothing once the
// connection's buffers exist (x/net's Framer made a frame struct for each).
func TestH2FastReadFrameAllocatesNothing(t *testing.T) {
	var wire bytes.Buffer
	w := http2.NewFramer(&wire, nil)
	// a block of static-table entries only: decoding it allocates no string
	require.NoError(t, w.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, EndStream: true,
		BlockFragment: []byte{0x82, 0x86, 0x84}}))
	require.NoError(t, w.WritePing(false, [8]byte{1}))
	require.NoError(t, w.WriteWindowUpdate(1, 1000))
	frames := wire.Bytes()

	a, b := net.Pipe()
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	src := bytes.NewReader(frames)
	br := bufio.NewReaderSize(src, 16<<10)
	c := newFconn(a, br, true)
	var method string
	var typ http2.FrameType
	var inc uint32
	var errs [3]error
	read := func() { // checks after it: require's boxing would allocate
		src.Reset(frames)
		br.Reset(src)
		var hb *hblock
		hb, errs[0] = c.readFrame(&c.in)
		if hb != nil {
			method = hb.PseudoValue("method")
		}
		_, errs[1] = c.readFrame(&c.in)
		typ = c.in.hdr.Type
		_, errs[2] = c.readFrame(&c.in)
		inc = c.in.inc
	}
	read() // grows the connection's buffers
	require.Equal(t, [3]error{}, errs)
	require.Equal(t, "GET", method)
	require.Equal(t, http2.FramePing, typ)
	require.Equal(t, uint32(1000), inc)
	assert.Zero(t, testing.AllocsPerRun(100, read))
}
