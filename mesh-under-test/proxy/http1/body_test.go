package http1

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChunkedFramingIsStrict(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
		data     string
	}{
		{"plain", "3\r\nabc\r\n0\r\n\r\n", true, "abc"},
		{"extension and trailer", "3;a=b\r\nabc\r\n0\r\nT: v\r\n\r\n", true, "abc"},
		{"size with trailing space", "3 \r\nabc\r\n0\r\n\r\n", true, "abc"},
		{"data not followed by CRLF", "3\r\nabcX\r\n0\r\n\r\n", false, ""},
		{"data followed by bare LF", "3\r\nabc\n0\r\n\r\n", false, ""},
		{"bare LF after size", "3\nabc\r\n0\r\n\r\n", false, ""},
		{"bare LF in last chunk", "3\r\nabc\r\n0\n\r\n", false, ""},
		{"bare LF ends trailers", "3\r\nabc\r\n0\r\n\n", false, ""},
		{"CR in extension", "3;a=\rb\r\nabc\r\n0\r\n\r\n", false, ""},
		{"leading space in size", " 3\r\nabc\r\n0\r\n\r\n", false, ""},
		{"not hex", "0x3\r\nabc\r\n0\r\n\r\n", false, ""},
		{"size overflow", "fffffffffffffffff\r\n", false, ""},
		{"malformed trailer", "0\r\nno colon\r\n\r\n", false, ""},
		{"truncated", "3\r\nab", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var raw, data bytes.Buffer
			rw, dw := bufio.NewWriter(&raw), bufio.NewWriter(&data)
			_, err := CopyChunked(rw, bufio.NewReader(strings.NewReader(tc.in)), nil)
			_, derr := Dechunk(dw, bufio.NewReader(strings.NewReader(tc.in)), nil)
			if !tc.ok {
				assert.Error(t, err)
				assert.Error(t, derr)
				return
			}
			require.NoError(t, err)
			require.NoError(t, derr)
			require.NoError(t, rw.Flush())
			require.NoError(t, dw.Flush())
			assert.Equal(t, tc.in, raw.String(), "relayed verbatim")
			assert.Equal(t, tc.data, data.String(), "de-chunked")
		})
	}
}

func TestResponseFraming(t *testing.T) {
	tests := []struct {
		name, in  string
		err       error
		chunked   bool
		plain     bool
		te        string
		cl        int64
		clDropped bool
	}{
		{name: "CL and TE: chunked wins, CL not forwarded", in: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
			chunked: true, plain: true, te: "chunked", cl: -1, clDropped: true},
		{name: "gzip, chunked kept", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", chunked: true, te: "gzip, chunked", cl: -1},
		{name: "xchunked refused", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n", err: ErrMalformed},
		{name: "chunked not last refused", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", err: ErrMalformed},
		{name: "status line without space", in: "HTTP/1.1 200OK\r\n\r\n", err: ErrMalformed},
		{name: "bad header name", in: "HTTP/1.1 200 OK\r\nX Y: 1\r\n\r\n", err: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewResponse()
			err := r.Read(bufio.NewReader(strings.NewReader(tc.in)))
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.chunked, r.Chunked)
			assert.Equal(t, tc.plain, r.PlainChunked)
			assert.Equal(t, tc.te, string(r.TE))
			assert.Equal(t, tc.cl, r.ContentLength)
			var out bytes.Buffer
			bw := bufio.NewWriter(&out)
			WriteResponseHead(bw, r, nil, false, false, false)
			require.NoError(t, bw.Flush())
			assert.Contains(t, out.String(), "Transfer-Encoding: "+tc.te+"\r\n")
			assert.NotContains(t, out.String(), "Content-Length")
		})
	}
}

func TestNoBodyStatusesCarryNoFraming(t *testing.T) {
	for _, tc := range []struct{ in, lacks string }{
		{"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding"},
		{"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "Content-Length"},
		{"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding"},
	} {
		r := NewResponse()
		require.NoError(t, r.Read(bufio.NewReader(strings.NewReader(tc.in))))
		assert.Equal(t, int64(0), r.BodyLength(false))
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		WriteResponseHead(bw, r, nil, false, false, false)
		require.NoError(t, bw.Flush())
		assert.NotContains(t, out.String(), tc.lacks, tc.in)
	}
}
