package http1

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzRequestRead: arbitrary bytes never panic the parser, and a head it
// accepts is written back out parseable.
func FuzzRequestRead(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
	f.Add([]byte("POST /x HTTP/1.0\r\nContent-Length: 3\r\nConnection: keep-alive, X\r\n\r\nabc"))
	f.Add([]byte("PUT / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewRequest()
		if err := r.Read(bufio.NewReader(bytes.NewReader(in))); err != nil {
			return
		}
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		WriteRequestHead(bw, r, nil, nil)
		_ = bw.Flush()
		r2 := NewRequest()
		if err := r2.Read(bufio.NewReader(&out)); err != nil {
			t.Fatalf("rewritten head does not parse: %v\n%q", err, out.String())
		}
		if string(r2.Method) != string(r.Method) || string(r2.Target) != string(r.Target) {
			t.Fatalf("request line changed: %q %q", r2.Method, r2.Target)
		}
	})
}

// FuzzCopyChunked: arbitrary chunked framing never panics.
func FuzzCopyChunked(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"))
	f.Add([]byte("ffffffffffffffff\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		_, _ = CopyChunked(bufio.NewWriter(&out), bufio.NewReader(bytes.NewReader(in)), nil)
	})
}
