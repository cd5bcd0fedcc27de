package http1

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestRead(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		limits  Limits
		wantErr error
		check   func(t *testing.T, r *Request)
	}{
		{name: "simple keep-alive", in: "GET /a?b HTTP/1.1\r\nHost: h\r\nX: 1\r\n\r\n", check: func(t *testing.T, r *Request) {
			assert.Equal(t, "GET", string(r.Method))
			assert.Equal(t, "/a?b", string(r.Target))
			assert.Equal(t, "/a", string(r.Path()))
			assert.Equal(t, "h", string(r.Host))
			assert.False(t, r.Close)
			assert.Equal(t, int64(-1), r.ContentLength)
		}},
		{name: "http/1.0 closes", in: "GET / HTTP/1.0\r\n\r\n", check: func(t *testing.T, r *Request) { assert.True(t, r.Close) }},
		{name: "http/1.0 keep-alive", in: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", check: func(t *testing.T, r *Request) { assert.False(t, r.Close) }},
		{name: "connection close", in: "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", check: func(t *testing.T, r *Request) { assert.True(t, r.Close) }},
		{name: "content length", in: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n", check: func(t *testing.T, r *Request) {
			assert.Equal(t, int64(12), r.ContentLength)
			assert.True(t, r.HasBody())
		}},
		{name: "chunked", in: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n", check: func(t *testing.T, r *Request) {
			assert.True(t, r.Chunked)
			assert.Equal(t, int64(-1), r.ContentLength)
		}},
		{name: "hop-by-hop marked", in: "GET / HTTP/1.1\r\nHost: h\r\nKeep-Alive: 5\r\nTE: trailers\r\nExpect: 100-continue\r\nConnection: x-a, X-B\r\nX-A: 1\r\nx-b: 2\r\n\r\n", check: func(t *testing.T, r *Request) {
			for _, f := range r.Fields[1:] {
				assert.True(t, f.Hop, string(f.Name))
			}
			assert.False(t, r.Fields[0].Hop, "Host")
			assert.True(t, r.Expect100)
		}},
		{name: "connection cannot drop content-length or host", in: "POST / HTTP/1.1\r\nHost: h\r\nConnection: Content-Length, Host\r\nContent-Length: 1\r\n\r\n", check: func(t *testing.T, r *Request) {
			assert.False(t, r.Fields[0].Hop)
			assert.False(t, r.Fields[2].Hop)
		}},
		{name: "100-continue ignored from http/1.0", in: "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", check: func(t *testing.T, r *Request) {
			assert.False(t, r.Expect100)
		}},
		{name: "absolute-form becomes origin-form", in: "GET http://h/a?b HTTP/1.1\r\nHost: h\r\n\r\n", check: func(t *testing.T, r *Request) {
			assert.Equal(t, "/a?b", string(r.Target))
		}},
		{name: "absolute-form without path", in: "GET http://h?b HTTP/1.1\r\nHost: h\r\n\r\n", check: func(t *testing.T, r *Request) {
			assert.Equal(t, "/?b", string(r.Target))
		}},
		{name: "leading CRLF ignored", in: "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "long field line", in: "GET / HTTP/1.1\r\nHost: h\r\nCookie: " + strings.Repeat("c", 20000) + "\r\n\r\n"},
		{name: "configured field limit", in: "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", limits: Limits{MaxFields: 2}, wantErr: ErrHeadTooLarge},
		{name: "configured byte limit", in: "GET / HTTP/1.1\r\nHost: h\r\nA: " + strings.Repeat("x", 1024) + "\r\n\r\n", limits: Limits{MaxHeadBytes: 1024}, wantErr: ErrHeadTooLarge},
		{name: "underscore rejected", in: "GET / HTTP/1.1\r\nHost: h\r\nX_A: 1\r\n\r\n", limits: Limits{Underscores: UnderscoresReject}, wantErr: ErrMalformed},
		{name: "underscore dropped", in: "GET / HTTP/1.1\r\nHost: h\r\nX_A: 1\r\nX-B: 2\r\n\r\n", limits: Limits{Underscores: UnderscoresDrop}, check: func(t *testing.T, r *Request) {
			_, ok := r.Get("x_a")
			assert.False(t, ok)
			require.Len(t, r.Fields, 2)
		}},
		{name: "underscore allowed", in: "GET / HTTP/1.1\r\nHost: h\r\nX_A: 1\r\n\r\n", check: func(t *testing.T, r *Request) {
			_, ok := r.Get("x_a")
			assert.True(t, ok)
		}},
		{name: "bad version", in: "GET / HTTP/2.0\r\n\r\n", wantErr: ErrMalformed},
		{name: "no colon", in: "GET / HTTP/1.1\r\nHost: h\r\nbad\r\n\r\n", wantErr: ErrMalformed},
		{name: "conflicting lengths", in: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", wantErr: ErrMalformed},
		{name: "bad length", in: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", wantErr: ErrMalformed},
		{name: "CL and TE", in: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", wantErr: ErrMalformed},
		{name: "gzip transfer coding", in: "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", wantErr: ErrNotImplemented},
		{name: "gzip, chunked transfer coding", in: "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", wantErr: ErrNotImplemented},
		{name: "xchunked", in: "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n", wantErr: ErrNotImplemented},
		{name: "two TE fields", in: "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", wantErr: ErrMalformed},
		{name: "TE in http/1.0", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", wantErr: ErrMalformed},
		{name: "bare CR", in: "GET / HTTP/1.1\r\nHost: h\r\nA: b\rc\r\n\r\n", wantErr: ErrMalformed},
		{name: "control character in value", in: "GET / HTTP/1.1\r\nHost: h\r\nA: b\x01c\r\n\r\n", wantErr: ErrMalformed},
		{name: "name not a token", in: "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding\x0b: chunked\r\n\r\n", wantErr: ErrMalformed},
		{name: "bad percent escape in path", in: "GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrMalformed},
		{name: "percent in query", in: "GET /a?q=100% HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "space in target", in: "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrMalformed},
		{name: "two hosts", in: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", wantErr: ErrMalformed},
		{name: "missing host", in: "GET / HTTP/1.1\r\n\r\n", wantErr: ErrMalformed},
		{name: "absolute-form other authority", in: "GET http://evil/ HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrMalformed},
		{name: "connect", in: "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", wantErr: ErrNotImplemented},
		{name: "folding", in: "GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n c\r\n\r\n", wantErr: ErrMalformed},
		{name: "head too large", in: "GET / HTTP/1.1\r\nA: " + strings.Repeat("x", DefaultMaxHeadBytes) + "\r\n\r\n", wantErr: ErrHeadTooLarge},
		{name: "endless leading CRLFs", in: strings.Repeat("\r\n", DefaultMaxHeadBytes) + "GET / HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrHeadTooLarge},
		{name: "too many fields", in: "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("A: b\r\n", DefaultMaxFields) + "\r\n", wantErr: ErrHeadTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRequest()
			r.Limits = tc.limits
			err := r.Read(bufio.NewReaderSize(strings.NewReader(tc.in), 256<<10))
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestResponseBodyLength(t *testing.T) {
	tests := []struct {
		in   string
		head bool
		want int64
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, 5},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, 0},
		{"HTTP/1.1 204 No Content\r\n\r\n", false, 0},
		{"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", false, 0},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, ChunkedBody},
		{"HTTP/1.0 200 OK\r\n\r\n", false, UntilClose},
	}
	for _, tc := range tests {
		r := NewResponse()
		require.NoError(t, r.Read(bufio.NewReader(strings.NewReader(tc.in))))
		assert.Equal(t, tc.want, r.BodyLength(tc.head), tc.in)
	}
}

func TestCopyChunkedRelaysVerbatimWithTrailers(t *testing.T) {
	in := "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\nNEXT"
	src := bufio.NewReader(strings.NewReader(in))
	var out bytes.Buffer
	dst := bufio.NewWriter(&out)
	_, err := CopyChunked(dst, src, nil)
	require.NoError(t, err)
	require.NoError(t, dst.Flush())
	assert.Equal(t, strings.TrimSuffix(in, "NEXT"), out.String())
	rest, _ := src.ReadString(0)
	assert.Equal(t, "NEXT", rest, "stops exactly at the end of the body")

	_, err = CopyChunked(dst, bufio.NewReader(strings.NewReader("zz\r\n")), nil)
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestWriteRequestHeadAppliesEdits(t *testing.T) {
	r := NewRequest()
	require.NoError(t, r.Read(bufio.NewReader(strings.NewReader(
		"POST /x HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nX-Drop: 1\r\nX-Over: old\r\nTraceparent: in\r\nTransfer-Encoding: chunked\r\n\r\n"))))
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	e := &Edits{Remove: []string{"x-drop"}, Set: []KV{{"X-Over", "new"}}, Append: []KV{{"X-App", "a"}},
		AddIfAbsent: []KV{{"host", "ignored"}, {"x-absent", "yes"}}}
	WriteRequestHead(bw, r, e, []Dyn{{Name: "traceparent", Value: []byte("out")}})
	require.NoError(t, bw.Flush())
	assert.Equal(t, "POST /x HTTP/1.1\r\nHost: h\r\nX-Over: new\r\nX-App: a\r\nx-absent: yes\r\ntraceparent: out\r\n"+
		"Transfer-Encoding: chunked\r\n\r\n", out.String())
}

// BenchmarkHeaderHandling parses a typical request head and writes it
// upstream with edits: the per-request header work of the proxy.
func BenchmarkHeaderHandling(b *testing.B) {
	in := []byte("POST /api/v1/items?id=7 HTTP/1.1\r\nHost: svc.ns.svc.cluster.local\r\nUser-Agent: fortio.org/fortio-1.75\r\n" +
		"Accept: */*\r\nContent-Type: application/json\r\nContent-Length: 1024\r\nTraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n" +
		"X-Request-Id: 7b3a\r\nConnection: keep-alive\r\n\r\n")
	rd := bytes.NewReader(in)
	br := bufio.NewReaderSize(rd, 4096)
	bw := bufio.NewWriterSize(discard{}, 4096)
	r := NewRequest()
	e := &Edits{Remove: []string{"x-internal"}, Append: []KV{{"X-Mesh", "1"}}}
	dyn := []Dyn{{Name: "traceparent", Value: []byte("00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01")}}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		rd.Reset(in)
		br.Reset(rd)
		if err := r.Read(br); err != nil {
			b.Fatal(err)
		}
		WriteRequestHead(bw, r, e, dyn)
		_ = bw.Flush()
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
