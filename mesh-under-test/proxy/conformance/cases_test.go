package conformance

import "strings"

// tcase is one conformance case.
type tcase struct {
	id      string // stable, unique; the docs table is keyed by it
	area    string
	name    string // what is sent, in words (the docs table's column)
	profile string // listener profile (harness_test.go); "" is Envoy's defaults
	req     string // raw bytes the client sends
	method  string // "HEAD" when responses answer HEAD
	hold    bool   // the client does not half-close: the proxy must end the exchange
	up      string // the upstream's raw answer to each request ("" okResponse)
	upClose bool   // the upstream closes after answering
	status  []int  // the client's responses in order (nil: none, the connection is closed)
	has     []string
	lacks   []string
	upReqs  int // complete requests the upstream must read (net/http's parser)
	upHas   []string
	upLacks []string
}

const (
	host  = "Host: a\r\n"
	ok200 = "HTTP/1.1 200 "
)

// get is a GET with extra header lines (each ending in CRLF).
func get(extra string) string { return "GET / HTTP/1.1\r\n" + host + extra + "\r\n" }

// post is a POST with extra header lines and a body.
func post(extra, body string) string { return "POST / HTTP/1.1\r\n" + host + extra + "\r\n" + body }

const chunkedHello = "5\r\nhello\r\n0\r\n\r\n"

// te is a POST declaring chunked with the given body.
func te(body string) string { return post("Transfer-Encoding: chunked\r\n", body) }

func cases() []tcase {
	bad, notImpl, tooLarge := []int{400}, []int{501}, []int{431}
	one := []int{200}
	return []tcase{
		// ---- request framing: Content-Length and Transfer-Encoding (RFC 9112 6) ----
		{id: "framing-get", area: "framing", name: "plain GET", req: get(""), status: one, upReqs: 1, upHas: []string{"GET / HTTP/1.1\r\n", host}},
		{id: "framing-cl", area: "framing", name: "POST with Content-Length", req: post("Content-Length: 5\r\n", "hello"), status: one, upReqs: 1,
			upHas: []string{"Content-Length: 5\r\n", "\r\n\r\nhello"}},
		{id: "framing-chunked", area: "framing", name: "POST chunked", req: te(chunkedHello), status: one, upReqs: 1,
			upHas: []string{"Transfer-Encoding: chunked\r\n", "\r\n\r\n" + chunkedHello}},
		{id: "framing-cl-te", area: "framing", name: "Content-Length then Transfer-Encoding: chunked", req: post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", chunkedHello), status: bad},
		{id: "framing-te-cl", area: "framing", name: "Transfer-Encoding: chunked then Content-Length", req: post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", chunkedHello), status: bad},
		{id: "framing-te-vtab", area: "framing", name: "`Transfer-Encoding\\x0b: chunked` with Content-Length (TE.CL obfuscation)", req: post("Transfer-Encoding\x0b: chunked\r\nContent-Length: 5\r\n", chunkedHello), status: bad},
		{id: "framing-te-space", area: "framing", name: "`Transfer-Encoding : chunked` (space before colon)", req: post("Transfer-Encoding : chunked\r\n", chunkedHello), status: bad},
		{id: "framing-te-xchunked", area: "framing", name: "`Transfer-Encoding: xchunked`", req: post("Transfer-Encoding: xchunked\r\n", chunkedHello), status: notImpl},
		{id: "framing-te-gzip-chunked", area: "framing", name: "`Transfer-Encoding: gzip, chunked` on a request", req: post("Transfer-Encoding: gzip, chunked\r\n", chunkedHello), status: notImpl},
		{id: "framing-te-chunked-gzip", area: "framing", name: "`Transfer-Encoding: chunked, gzip` (chunked not last)", req: post("Transfer-Encoding: chunked, gzip\r\n", chunkedHello), status: notImpl},
		{id: "framing-te-identity", area: "framing", name: "`Transfer-Encoding: identity`", req: post("Transfer-Encoding: identity\r\n", ""), status: notImpl},
		{id: "framing-te-trailing-comma", area: "framing", name: "`Transfer-Encoding: chunked,`", req: post("Transfer-Encoding: chunked,\r\n", chunkedHello), status: notImpl},
		{id: "framing-te-twice", area: "framing", name: "two Transfer-Encoding: chunked fields", req: post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", chunkedHello), status: bad},
		{id: "framing-te-case", area: "framing", name: "`Transfer-Encoding: CHUNKED`", req: post("Transfer-Encoding: CHUNKED\r\n", chunkedHello), status: one, upReqs: 1,
			upHas: []string{"Transfer-Encoding: chunked\r\n"}, upLacks: []string{"CHUNKED"}},
		{id: "framing-te-http10", area: "framing", name: "Transfer-Encoding in an HTTP/1.0 request", req: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedHello, status: bad},
		{id: "framing-cl-conflict", area: "framing", name: "two different Content-Length fields", req: post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), status: bad},
		{id: "framing-cl-same", area: "framing", name: "two equal Content-Length fields", req: post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), status: one, upReqs: 1, upHas: []string{"\r\n\r\nhello"}},
		{id: "framing-cl-list", area: "framing", name: "`Content-Length: 5, 5`", req: post("Content-Length: 5, 5\r\n", "hello"), status: bad},
		{id: "framing-cl-negative", area: "framing", name: "`Content-Length: -1`", req: post("Content-Length: -1\r\n", ""), status: bad},
		{id: "framing-cl-plus", area: "framing", name: "`Content-Length: +5`", req: post("Content-Length: +5\r\n", "hello"), status: bad},
		{id: "framing-cl-hex", area: "framing", name: "`Content-Length: 0x5`", req: post("Content-Length: 0x5\r\n", "hello"), status: bad},
		{id: "framing-cl-overflow", area: "framing", name: "Content-Length of 20 digits", req: post("Content-Length: 99999999999999999999\r\n", "hello"), status: bad},
		{id: "framing-cl-short", area: "framing", name: "Content-Length: 10 with 5 bytes, then the client half-closes", req: post("Content-Length: 10\r\n", "hello")},

		// ---- chunked bodies (RFC 9112 7.1) ----
		{id: "chunk-extension", area: "chunked", name: "chunk extension `;name=val`", req: te("5;name=val\r\nhello\r\n0\r\n\r\n"), status: one, upReqs: 1, upHas: []string{"5;name=val\r\nhello\r\n"}},
		{id: "chunk-trailer", area: "chunked", name: "trailer field", req: te("5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"), status: one, upReqs: 1, upHas: []string{"0\r\nX-T: 1\r\n\r\n"}},
		{id: "chunk-uppercase-hex", area: "chunked", name: "upper-case hex size", req: te("A\r\n0123456789\r\n0\r\n\r\n"), status: one, upReqs: 1, upHas: []string{"A\r\n0123456789\r\n"}},
		{id: "chunk-size-trailing-space", area: "chunked", name: "size followed by a space (BWS)", req: te("5 \r\nhello\r\n0\r\n\r\n"), status: one, upReqs: 1},
		{id: "chunk-no-crlf-after-data", area: "chunked", name: "chunk data not followed by CRLF", req: te("5\r\nhelloXX0\r\n\r\n"), status: bad},
		{id: "chunk-lf-after-data", area: "chunked", name: "chunk data followed by a bare LF", req: te("5\r\nhello\n0\r\n\r\n"), status: bad},
		{id: "chunk-lf-size", area: "chunked", name: "bare LF after the chunk size", req: te("5\nhello\r\n0\r\n\r\n"), status: bad},
		{id: "chunk-lf-last", area: "chunked", name: "bare LF after the last chunk", req: te("5\r\nhello\r\n0\n\r\n"), status: bad},
		{id: "chunk-lf-end", area: "chunked", name: "bare LF ends the trailer section", req: te("5\r\nhello\r\n0\r\n\n"), status: bad},
		{id: "chunk-cr-extension", area: "chunked", name: "CR inside a chunk extension", req: te("5;a=\rb\r\nhello\r\n0\r\n\r\n"), status: bad},
		{id: "chunk-ctl-extension", area: "chunked", name: "control character in a chunk extension", req: te("5;a=\x01\r\nhello\r\n0\r\n\r\n"), status: bad},
		{id: "chunk-size-leading-space", area: "chunked", name: "space before the chunk size", req: te(" 5\r\nhello\r\n0\r\n\r\n"), status: bad},
		{id: "chunk-size-0x", area: "chunked", name: "`0x5` as chunk size", req: te("0x5\r\nhello\r\n0\r\n\r\n"), status: bad},
		{id: "chunk-size-negative", area: "chunked", name: "`-5` as chunk size", req: te("-5\r\nhello\r\n0\r\n\r\n"), status: bad},
		{id: "chunk-size-overflow", area: "chunked", name: "17 hex digits as chunk size", req: te("fffffffffffffffff\r\nhello\r\n0\r\n\r\n"), status: bad},
		{id: "chunk-size-empty", area: "chunked", name: "empty chunk-size line", req: te("\r\nhello\r\n0\r\n\r\n"), status: bad},
		{id: "chunk-bad-trailer", area: "chunked", name: "trailer line without a colon", req: te("0\r\nbad trailer\r\n\r\n"), status: bad},
		{id: "chunk-truncated", area: "chunked", name: "chunked body cut short, then the client half-closes", req: te("5\r\nhel")},

		// ---- field syntax (RFC 9110 5, RFC 9112 5) ----
		{id: "field-vtab-name", area: "fields", name: "vertical tab in a field name", req: get("X\x0bY: 1\r\n"), status: bad},
		{id: "field-space-name", area: "fields", name: "space inside a field name", req: get("X Y: 1\r\n"), status: bad},
		{id: "field-space-colon", area: "fields", name: "space before the colon", req: get("X-A : 1\r\n"), status: bad},
		{id: "field-empty-name", area: "fields", name: "empty field name", req: get(": 1\r\n"), status: bad},
		{id: "field-no-colon", area: "fields", name: "field line without a colon", req: get("X-A\r\n"), status: bad},
		{id: "field-nul-value", area: "fields", name: "NUL in a value", req: get("X-A: a\x00b\r\n"), status: bad},
		{id: "field-ctl-value", area: "fields", name: "control character 0x01 in a value", req: get("X-A: a\x01b\r\n"), status: bad},
		{id: "field-del-value", area: "fields", name: "DEL in a value", req: get("X-A: a\x7fb\r\n"), status: bad},
		{id: "field-cr-value", area: "fields", name: "bare CR in a value", req: get("X-A: a\rb\r\n"), status: bad},
		{id: "field-obs-fold", area: "fields", name: "obsolete line folding", req: get("X-A: a\r\n b\r\n"), status: bad},
		{id: "field-htab-value", area: "fields", name: "HTAB inside a value", req: get("X-A: a\tb\r\n"), status: one, upReqs: 1, upHas: []string{"X-A: a\tb\r\n"}},
		{id: "field-obs-text", area: "fields", name: "UTF-8 (obs-text) in a value", req: get("X-A: caf\xc3\xa9\r\n"), status: one, upReqs: 1, upHas: []string{"X-A: caf\xc3\xa9\r\n"}},
		{id: "field-ows-trimmed", area: "fields", name: "spaces around a value", req: get("X-A:   v  \r\n"), status: one, upReqs: 1, upHas: []string{"X-A: v\r\n"}},
		{id: "field-bare-lf-lines", area: "fields", name: "head lines ended by bare LF (RFC 9112 2.2 allows)", req: "GET / HTTP/1.1\nHost: a\n\n", status: one, upReqs: 1,
			upHas: []string{"GET / HTTP/1.1\r\n", "Host: a\r\n"}},

		// ---- Host (RFC 9112 3.2) ----
		{id: "host-missing", area: "host", name: "HTTP/1.1 without Host", req: "GET / HTTP/1.1\r\n\r\n", status: bad},
		{id: "host-twice", area: "host", name: "two Host fields", req: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: bad},
		{id: "host-twice-same", area: "host", name: "two equal Host fields", req: "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", status: bad},
		{id: "host-http10-missing", area: "host", name: "HTTP/1.0 without Host", req: "GET / HTTP/1.0\r\n\r\n", status: one, upReqs: 1, upHas: []string{"GET / HTTP/1.1\r\nHost: \r\n"}},
		{id: "host-space", area: "host", name: "`Host: a b`", req: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: bad},
		{id: "host-slash", area: "host", name: "`Host: a/b`", req: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status: bad},
		{id: "host-port", area: "host", name: "`Host: a:8080`", req: "GET / HTTP/1.1\r\nHost: a:8080\r\n\r\n", status: one, upReqs: 1, upHas: []string{"Host: a:8080\r\n"}},
		{id: "host-absolute-form", area: "host", name: "absolute-form target whose authority is the Host", req: "GET http://a/p?q HTTP/1.1\r\nHost: a\r\n\r\n", status: one, upReqs: 1,
			upHas: []string{"GET /p?q HTTP/1.1\r\n"}, upLacks: []string{"http://"}},
		{id: "host-absolute-form-other", area: "host", name: "absolute-form target naming another authority than Host", req: "GET http://b/p HTTP/1.1\r\nHost: a\r\n\r\n", status: bad},
		{id: "host-absolute-form-userinfo", area: "host", name: "absolute-form target with userinfo", req: "GET http://u@a/p HTTP/1.1\r\nHost: a\r\n\r\n", status: bad},

		// ---- request line (RFC 9112 3) ----
		{id: "line-space-target", area: "request line", name: "space inside the request-target", req: "GET /a b HTTP/1.1\r\n" + host + "\r\n", status: bad},
		{id: "line-double-space", area: "request line", name: "two spaces after the method", req: "GET  / HTTP/1.1\r\n" + host + "\r\n", status: bad},
		{id: "line-tab", area: "request line", name: "HTAB as separator", req: "GET\t/ HTTP/1.1\r\n" + host + "\r\n", status: bad},
		{id: "line-http09", area: "request line", name: "HTTP/0.9 request line", req: "GET /\r\n\r\n", status: bad},
		{id: "line-version-lower", area: "request line", name: "`http/1.1` in lower case", req: "GET / http/1.1\r\n" + host + "\r\n", status: bad},
		{id: "line-version-2", area: "request line", name: "`HTTP/2.0` on an HTTP/1 connection", req: "GET / HTTP/2.0\r\n" + host + "\r\n", status: bad},
		{id: "line-version-12", area: "request line", name: "`HTTP/1.2`", req: "GET / HTTP/1.2\r\n" + host + "\r\n", status: bad},
		{id: "line-method-token", area: "request line", name: "method that is not a token", req: "G(ET / HTTP/1.1\r\n" + host + "\r\n", status: bad},
		{id: "line-target-nonascii", area: "request line", name: "byte 0xff in the target", req: "GET /\xff HTTP/1.1\r\n" + host + "\r\n", status: bad},
		{id: "line-bad-escape", area: "request line", name: "`%zz` in the path (not pct-encoded)", req: "GET /a%zz HTTP/1.1\r\n" + host + "\r\n", status: bad},
		{id: "line-percent-query", area: "request line", name: "a bare `%` in the query", req: "GET /a?q=100% HTTP/1.1\r\n" + host + "\r\n", status: one, upReqs: 1,
			upHas: []string{"GET /a?q=100% HTTP/1.1\r\n"}},
		{id: "line-target-relative", area: "request line", name: "target not starting with `/`", req: "GET a HTTP/1.1\r\n" + host + "\r\n", status: bad},
		{id: "line-asterisk-get", area: "request line", name: "`GET *`", req: "GET * HTTP/1.1\r\n" + host + "\r\n", status: bad},
		{id: "line-asterisk-options", area: "request line", name: "`OPTIONS *` (parsed; no route matches `*`, as in Envoy)", req: "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", status: []int{404}},
		{id: "line-connect", area: "request line", name: "CONNECT", req: "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", status: notImpl},
		{id: "line-leading-crlf", area: "request line", name: "empty lines before the request line", req: "\r\n\r\n" + get(""), status: one, upReqs: 1},
		{id: "line-endless-crlf", area: "limits", name: "62 KB of empty lines before the request line", req: strings.Repeat("\r\n", 31<<10) + get(""), status: tooLarge},

		// ---- head limits (Envoy's defaults and HCM fields) ----
		{id: "limit-100-fields", area: "limits", name: "100 header fields (the default maximum)", req: get(strings.Repeat("X-A: 1\r\n", 99)), status: one, upReqs: 1},
		{id: "limit-101-fields", area: "limits", name: "101 header fields", req: get(strings.Repeat("X-A: 1\r\n", 100)), status: tooLarge},
		{id: "limit-head-61k", area: "limits", name: "a 61 KiB field (default limit 60 KiB)", req: get("X-A: " + strings.Repeat("a", 61<<10) + "\r\n"), status: tooLarge},
		{id: "limit-head-50k", area: "limits", name: "a 50 KiB field", req: get("X-A: " + strings.Repeat("a", 50<<10) + "\r\n"), status: one, upReqs: 1},
		{id: "limit-underscore-allow", area: "limits", name: "`X_A: 1` under the default ALLOW", req: get("X_A: 1\r\n"), status: one, upReqs: 1, upHas: []string{"X_A: 1\r\n"}},
		{id: "limit-underscore-reject", area: "limits", profile: profRejectUnder, name: "`X_A: 1` under REJECT_REQUEST", req: get("X_A: 1\r\n"), status: bad},
		{id: "limit-underscore-drop", area: "limits", profile: profDropUnder, name: "`X_A: 1` under DROP_HEADER", req: get("X_A: 1\r\n"), status: one, upReqs: 1, upLacks: []string{"X_A"}},
		{id: "limit-headers-timeout", area: "limits", profile: profHeadTimeout, name: "a head that stops half-way (request_headers_timeout 300 ms)", req: "GET / HTTP/1.1\r\nHost: a\r\nX-Slow", hold: true,
			status: []int{408}},

		// ---- hop-by-hop fields (RFC 9110 7.6.1) ----
		{id: "hop-connection-named", area: "hop-by-hop", name: "`Connection: X-Secret` names a field", req: get("Connection: X-Secret\r\nX-Secret: s\r\n"), status: one, upReqs: 1,
			upLacks: []string{"X-Secret", "Connection: X"}},
		{id: "hop-keep-alive", area: "hop-by-hop", name: "Keep-Alive field", req: get("Keep-Alive: timeout=5\r\n"), status: one, upReqs: 1, upLacks: []string{"Keep-Alive"}},
		{id: "hop-te", area: "hop-by-hop", name: "`TE: trailers`", req: get("TE: trailers\r\n"), status: one, upReqs: 1, upLacks: []string{"TE:"}},
		{id: "hop-proxy-connection", area: "hop-by-hop", name: "Proxy-Connection field", req: get("Proxy-Connection: keep-alive\r\n"), status: one, upReqs: 1, upLacks: []string{"Proxy-Connection"}},
		{id: "hop-connection-cl", area: "hop-by-hop", name: "`Connection: Content-Length` cannot remove the framing", req: post("Connection: Content-Length\r\nContent-Length: 5\r\n", "hello"), status: one, upReqs: 1,
			upHas: []string{"Content-Length: 5\r\n", "\r\n\r\nhello"}},
		{id: "hop-connection-host", area: "hop-by-hop", name: "`Connection: Host` cannot remove Host", req: get("Connection: Host\r\n"), status: one, upReqs: 1, upHas: []string{host}},

		// ---- Expect (RFC 9110 10.1.1) ----
		{id: "expect-11", area: "expect", name: "`Expect: 100-continue` from HTTP/1.1", req: post("Expect: 100-continue\r\nContent-Length: 5\r\n", "hello"), status: []int{100, 200}, upReqs: 1,
			upLacks: []string{"Expect"}},
		{id: "expect-10", area: "expect", name: "`Expect: 100-continue` from HTTP/1.0", req: "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello", status: one, upReqs: 1,
			lacks: []string{"100 Continue"}},

		// ---- responses ----
		{id: "resp-cl-te", area: "responses", name: "upstream sends Content-Length and chunked", req: get(""), up: "HTTP/1.1 200 OK\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
			status: one, upReqs: 1, has: []string{"Transfer-Encoding: chunked\r\n", "2\r\nok\r\n0\r\n\r\n"}, lacks: []string{"Content-Length"}},
		{id: "resp-gzip-chunked", area: "responses", name: "upstream sends `Transfer-Encoding: gzip, chunked`", req: get(""), up: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
			status: one, upReqs: 1, has: []string{"Transfer-Encoding: gzip, chunked\r\n"}},
		{id: "resp-xchunked", area: "responses", name: "upstream sends `Transfer-Encoding: xchunked`", req: get(""), up: "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
			status: []int{502}, upReqs: 1},
		{id: "resp-chunked-not-last", area: "responses", name: "upstream sends `Transfer-Encoding: chunked, gzip`", req: get(""), up: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nzz",
			upClose: true, status: []int{502}, upReqs: 1},
		{id: "resp-http10-chunked", area: "responses", name: "chunked response to an HTTP/1.0 client", req: "GET / HTTP/1.0\r\n\r\n", up: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
			status: one, upReqs: 1, has: []string{"Connection: close\r\n", "\r\n\r\nok"}, lacks: []string{"Transfer-Encoding", "2\r\nok"}},
		{id: "resp-http10-keepalive-chunked", area: "responses", name: "chunked response to an HTTP/1.0 keep-alive client", req: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
			up: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", status: one, upReqs: 1, has: []string{"Connection: close\r\n"}, lacks: []string{"Transfer-Encoding", "keep-alive"}},
		{id: "resp-http10-gzip-chunked", area: "responses", name: "`gzip, chunked` response to an HTTP/1.0 client", req: "GET / HTTP/1.0\r\n\r\n", up: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
			status: []int{502}, upReqs: 1},
		{id: "resp-204-te", area: "responses", name: "upstream 204 with Transfer-Encoding", req: get(""), up: "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
			status: []int{204}, upReqs: 1, lacks: []string{"Transfer-Encoding"}},
		{id: "resp-204-body", area: "responses", name: "upstream 204 with Content-Length and a body, twice on one connection", req: get("") + get(""), up: "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
			status: []int{204, 204}, upReqs: 2, lacks: []string{"Content-Length", "hello"}},
		{id: "resp-304-te", area: "responses", name: "upstream 304 with Transfer-Encoding", req: get(""), up: "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
			status: []int{304}, upReqs: 1, lacks: []string{"Transfer-Encoding"}},
		{id: "resp-head", area: "responses", name: "HEAD: Content-Length kept, no body", req: "HEAD / HTTP/1.1\r\n" + host + "\r\n", method: "HEAD", up: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
			status: one, upReqs: 1, has: []string{"Content-Length: 5\r\n"}},
		{id: "resp-until-close", area: "responses", name: "upstream body delimited by close", req: get(""), up: "HTTP/1.1 200 OK\r\n\r\nbody", upClose: true,
			status: one, upReqs: 1, has: []string{"Connection: close\r\n", "\r\n\r\nbody"}},
		{id: "resp-interim", area: "responses", name: "upstream 100 Continue before the response", req: get(""), up: "HTTP/1.1 100 Continue\r\n\r\n" + okResponse,
			status: one, upReqs: 1},
		{id: "resp-bad-status", area: "responses", name: "upstream status line `HTTP/1.1 2000 OK`", req: get(""), up: "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", status: []int{502}, upReqs: 1},
		{id: "resp-bad-field", area: "responses", name: "upstream field name with a space", req: get(""), up: "HTTP/1.1 200 OK\r\nX Y: 1\r\nContent-Length: 0\r\n\r\n", status: []int{502}, upReqs: 1},
		{id: "resp-cl-conflict", area: "responses", name: "upstream sends two different Content-Lengths", req: get(""), up: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
			status: []int{502}, upReqs: 1},
		{id: "resp-extra-response", area: "responses", name: "upstream sends an unrequested second response (pool desync)", req: get("") + get(""), up: okResponse + "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nINJECTED",
			status: []int{200, 200}, upReqs: 2, lacks: []string{"INJECTED"}},
	}
}
