package dataplane

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
)

// TestH2FastMalformedHeaderBlocks: the lean path's own header-block
// reader (readBlock) refuses what x/net/http2's Framer refuses: a
// malformed field list resets the stream (PROTOCOL_ERROR) and the
// connection goes on serving; a block that cannot be decoded ends the
// connection (GOAWAY COMPRESSION_ERROR).
func TestH2FastMalformedHeaderBlocks(t *testing.T) {
	up := h2Upstream(t, func(w http.ResponseWriter, r *http.Request) { w.Header().Set("x-path", r.URL.Path) })
	_, pa := fastProxy(t, up)
	req := []string{":method", "GET", ":scheme", "http", ":path", "/ok", ":authority", "x"}
	for _, tt := range []struct {
		name   string
		fields []string
	}{
		{"upper-case name", append(append([]string{}, req...), "X-Upper", "1")},
		{"pseudo-header after a regular field", []string{":method", "GET", "x-a", "1", ":scheme", "http", ":path", "/ok", ":authority", "x"}},
		{"unknown pseudo-header", append(append([]string{}, req...)[:8:8], ":bogus", "1")},
		{"pseudo-header twice", append(append([]string{}, req...), ":path", "/again")},
		{"request and response pseudo-headers", append([]string{":status", "200"}, req...)},
		{"NUL in a value", append(append([]string{}, req...), "x-a", "a\x00b")},
		{"space in a name", append(append([]string{}, req...), "x a", "1")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, fr := rawH2(t, pa)
			require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndStream: true, EndHeaders: true,
				BlockFragment: headerBlock(t, tt.fields...)}))
			status, _ := h2StreamOutcome(t, fr, 1)
			assert.Empty(t, status, "the stream is reset, not answered")
			require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, EndStream: true, EndHeaders: true,
				BlockFragment: headerBlock(t, req...)}))
			status, _ = h2StreamOutcome(t, fr, 3)
			assert.Equal(t, "200", status, "the connection still serves")
		})
	}
	t.Run("undecodable block", func(t *testing.T) {
		_, fr := rawH2(t, pa)
		require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndStream: true, EndHeaders: true,
			BlockFragment: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}})) // an index past every table
		code, gotAway := connEnd(t, fr)
		assert.True(t, gotAway)
		assert.Equal(t, http2.ErrCodeCompression, code)
	})
	t.Run("a block split over CONTINUATION frames", func(t *testing.T) {
		_, fr := rawH2(t, pa)
		b := headerBlock(t, append(append([]string{}, req...), "x-long", "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvv")...)
		require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndStream: true, BlockFragment: b[:5]}))
		require.NoError(t, fr.WriteContinuation(1, false, b[5:12]))
		require.NoError(t, fr.WriteContinuation(1, true, b[12:]))
		status, _ := h2StreamOutcome(t, fr, 1)
		assert.Equal(t, "200", status)
	})
}
