package http1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"
	"testing"
)

// FuzzRequestRead: arbitrary bytes never panic the parser, and a head it
// accepts is written out as one request that Go's net/http parses with the
// same method, target and body framing (so the proxy and an upstream can
// never disagree on where the request ends). Seeds: testdata/fuzz, the
// conformance suite's requests.
func FuzzRequestRead(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
	f.Add([]byte("POST /x HTTP/1.0\r\nContent-Length: 3\r\nConnection: keep-alive, X\r\n\r\nabc"))
	f.Add([]byte("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewRequest()
		if err := r.Read(bufio.NewReader(bytes.NewReader(in))); err != nil {
			return
		}
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		WriteRequestHead(bw, r, nil, nil)
		_ = bw.Flush()
		head := out.String()
		r2 := NewRequest()
		if err := r2.Read(bufio.NewReader(strings.NewReader(head))); err != nil {
			t.Fatalf("rewritten head does not parse: %v\n%q", err, head)
		}
		if string(r2.Method) != string(r.Method) || string(r2.Target) != string(r.Target) {
			t.Fatalf("request line changed: %q %q", r2.Method, r2.Target)
		}
		gr, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head)))
		if err != nil {
			if strings.Contains(err.Error(), "malformed HTTP request") && r.Target[0] == '*' {
				return // net/http reads "*" only with OPTIONS semantics of its own
			}
			t.Fatalf("net/http refuses the rewritten head: %v\n%q", err, head)
		}
		if gr.Method != string(r.Method) || gr.RequestURI != string(r.Target) {
			t.Fatalf("net/http reads %q %q, proxy %q %q", gr.Method, gr.RequestURI, r.Method, r.Target)
		}
		chunked := len(gr.TransferEncoding) > 0
		if chunked != r.Chunked || (!chunked && max(gr.ContentLength, 0) != max(r.ContentLength, 0)) {
			t.Fatalf("framing differs: net/http chunked=%v length=%d, proxy chunked=%v length=%d\n%q",
				chunked, gr.ContentLength, r.Chunked, r.ContentLength, head)
		}
	})
}

// FuzzResponseRead: arbitrary bytes never panic the response parser, and
// a head it accepts is written to a client as one that net/http reads
// with the same status and body framing.
func FuzzResponseRead(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n"))
	f.Add([]byte("HTTP/1.0 200 OK\r\n\r\nbody"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewResponse()
		if err := r.Read(bufio.NewReader(bytes.NewReader(in))); err != nil {
			return
		}
		if r.Status == 101 {
			return // an upgrade: no HTTP framing follows
		}
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		WriteResponseHead(bw, r, nil, false, false, false)
		_ = bw.Flush()
		head := out.String()
		r2 := NewResponse()
		if err := r2.Read(bufio.NewReader(strings.NewReader(head))); err != nil {
			t.Fatalf("rewritten head does not parse: %v\n%q", err, head)
		}
		if r2.Status != r.Status || r2.BodyLength(false) != r.BodyLength(false) {
			t.Fatalf("status or framing changed: %d %d, %d %d\n%q", r.Status, r.BodyLength(false), r2.Status, r2.BodyLength(false), head)
		}
		if !r.PlainChunked && r.Chunked {
			return // net/http reads no transfer coding but chunked
		}
		gr, err := http.ReadResponse(bufio.NewReader(strings.NewReader(head)), nil)
		if err != nil {
			t.Fatalf("net/http refuses the rewritten head: %v\n%q", err, head)
		}
		if gr.StatusCode != r.Status {
			t.Fatalf("net/http reads status %d, proxy %d", gr.StatusCode, r.Status)
		}
		n := r.BodyLength(false)
		if n >= 0 && gr.ContentLength >= 0 && gr.ContentLength != n {
			t.Fatalf("framing differs: net/http length %d, proxy %d\n%q", gr.ContentLength, n, head)
		}
		if (n == ChunkedBody) != (len(gr.TransferEncoding) > 0) {
			t.Fatalf("chunked differs: net/http %v, proxy %d\n%q", gr.TransferEncoding, n, head)
		}
	})
}

// FuzzCopyChunked: arbitrary chunked framing never panics; what the strict
// relay accepts, Go's chunked reader decodes to the same data the proxy's
// de-chunker produces, and the relay copies it verbatim.
func FuzzCopyChunked(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"))
	f.Add([]byte("5;a=b\r\nhello\r\n0\r\nT: 1\r\n\r\n"))
	f.Add([]byte("ffffffffffffffff\r\n"))
	f.Add([]byte("5\r\nhelloXX0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var raw, data bytes.Buffer
		rw, dw := bufio.NewWriter(&raw), bufio.NewWriter(&data)
		src := bufio.NewReader(bytes.NewReader(in))
		_, err := CopyChunked(rw, src, nil)
		_, derr := Dechunk(dw, bufio.NewReader(bytes.NewReader(in)), nil)
		if (err == nil) != (derr == nil) {
			t.Fatalf("relay and de-chunker disagree: %v / %v", err, derr)
		}
		if err != nil {
			return
		}
		_ = rw.Flush()
		_ = dw.Flush()
		rest, _ := io.ReadAll(src)
		if !bytes.Equal(append(raw.Bytes(), rest...), in) {
			t.Fatalf("not relayed verbatim")
		}
		got, gerr := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(raw.Bytes())))
		if gerr != nil {
			t.Fatalf("Go's chunked reader refuses what the relay accepted: %v\n%q", gerr, raw.String())
		}
		if !bytes.Equal(got, data.Bytes()) {
			t.Fatalf("data differs: Go %q, proxy %q", got, data.Bytes())
		}
	})
}
