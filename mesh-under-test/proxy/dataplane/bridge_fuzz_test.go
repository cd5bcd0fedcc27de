package dataplane

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
)

// FuzzH2ToH1Bridge: a request that came in over HTTP/2 and passes the
// bridge's guard is written as exactly one HTTP/1.1 request, which the
// proxy's parser and net/http both read back with the same method, target,
// authority, field and body, and nothing after it (no second request
// smuggled in through :path, :authority or a field value).
func FuzzH2ToH1Bridge(f *testing.F) {
	f.Add("GET", "/a?b", "svc", "x-a", "v", []byte(nil))
	f.Add("POST", "/p", "svc:8080", "content-type", "text/plain", []byte("body"))
	f.Add("GET", "/a b", "svc", "x-a", "v", []byte(nil))
	f.Add("GET", "/", "svc\r\nX: y", "x-a", "v\r\nTransfer-Encoding: chunked", []byte(nil))
	f.Add("PUT", "*", "[::1]:80", "x_a", "\t", []byte("0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, method, uri, host, name, value string, body []byte) {
		r := &http.Request{Method: method, RequestURI: uri, Host: host, Header: http.Header{name: {value}}}
		if !h1Representable(r) {
			return
		}
		buffered := len(body) < 64
		if !buffered {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		if err := writeH1Request(bw, r, r.Header, body, buffered); err != nil {
			t.Fatal(err)
		}
		wire := out.String()

		br := bufio.NewReader(strings.NewReader(wire))
		req := http1.NewRequest()
		if err := req.Read(br); err != nil {
			t.Fatalf("the proxy's parser refuses the bridged request: %v\n%q", err, wire)
		}
		if string(req.Method) != method || string(req.Target) != uri || string(req.Host) != host {
			t.Fatalf("request line or Host changed: %q %q %q\n%q", req.Method, req.Target, req.Host, wire)
		}
		var got bytes.Buffer
		gw := bufio.NewWriter(&got)
		var err error
		if req.Chunked {
			_, err = http1.Dechunk(gw, br, nil)
		} else {
			err = http1.CopyN(gw, br, max(req.ContentLength, 0))
		}
		_ = gw.Flush()
		if err != nil || !bytes.Equal(got.Bytes(), body) {
			t.Fatalf("body differs (%v): %q vs %q\n%q", err, got.Bytes(), body, wire)
		}
		if br.Buffered() > 0 {
			t.Fatalf("bytes after the request: %q", wire)
		}

		gr, err := http.ReadRequest(bufio.NewReader(strings.NewReader(wire)))
		if err != nil {
			if uri == "*" {
				return // net/http has its own rules for "*"
			}
			t.Fatalf("net/http refuses the bridged request: %v\n%q", err, wire)
		}
		if gr.Method != method || gr.RequestURI != uri || gr.Host != host {
			t.Fatalf("net/http reads %q %q %q", gr.Method, gr.RequestURI, gr.Host)
		}
		gb, err := io.ReadAll(gr.Body)
		if err != nil || !bytes.Equal(gb, body) {
			t.Fatalf("net/http reads body %q (%v), sent %q", gb, err, body)
		}
	})
}
