package http1

import "bufio"

// KV is a header to add; Name is written as given.
type KV struct {
	Name  string
	Value string
}

// Edits are header mutations compiled from configuration (Envoy's
// request_headers_to_add/remove and response_headers_to_add/remove).
// Names in Remove are lower case. A nil *Edits means none.
type Edits struct {
	Remove []string
	// Set overwrites (removes every existing field of that name, then adds).
	Set []KV
	// Append adds a field even when one exists.
	Append []KV
	// AddIfAbsent adds only when no field of that name exists.
	AddIfAbsent []KV
}

// Dyn is a per-request header value computed by the proxy (trace context),
// which replaces any field of the same name. Name is lower case.
type Dyn struct {
	Name  string
	Value []byte
}

func (e *Edits) drops(name []byte) bool {
	if e == nil {
		return false
	}
	for _, r := range e.Remove {
		if EqualFold(name, r) {
			return true
		}
	}
	for _, kv := range e.Set {
		if equalFoldBoth(name, kv.Name) {
			return true
		}
	}
	return false
}

func equalFoldBoth(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// writeFields writes the end-to-end fields with edits applied, then te as
// the Transfer-Encoding (nil: none). skipCL drops Content-Length (for
// statuses that must not carry one).
func writeFields(bw *bufio.Writer, h *head, e *Edits, dyn []Dyn, te []byte, skipCL bool) {
fields:
	for i := range h.Fields {
		f := &h.Fields[i]
		if f.Hop || e.drops(f.Name) || (skipCL && EqualFold(f.Name, "content-length")) {
			continue
		}
		for j := range dyn {
			if dyn[j].Value != nil && EqualFold(f.Name, dyn[j].Name) {
				continue fields
			}
		}
		_, _ = bw.Write(f.Name)
		_, _ = bw.WriteString(": ")
		_, _ = bw.Write(f.Value)
		_, _ = bw.WriteString("\r\n")
	}
	if e != nil {
		for _, kv := range e.Set {
			writeKV(bw, kv)
		}
		for _, kv := range e.Append {
			writeKV(bw, kv)
		}
		for _, kv := range e.AddIfAbsent {
			if _, ok := h.Get(kv.Name); !ok {
				writeKV(bw, kv)
			}
		}
	}
	for j := range dyn {
		if dyn[j].Value == nil {
			continue
		}
		_, _ = bw.WriteString(dyn[j].Name)
		_, _ = bw.WriteString(": ")
		_, _ = bw.Write(dyn[j].Value)
		_, _ = bw.WriteString("\r\n")
	}
	if te != nil {
		_, _ = bw.WriteString("Transfer-Encoding: ")
		_, _ = bw.Write(te)
		_, _ = bw.WriteString("\r\n")
	}
}

func writeKV(bw *bufio.Writer, kv KV) {
	_, _ = bw.WriteString(kv.Name)
	_, _ = bw.WriteString(": ")
	_, _ = bw.WriteString(kv.Value)
	_, _ = bw.WriteString("\r\n")
}

// WriteRequestHead writes r's head to an upstream as HTTP/1.1, dropping
// hop-by-hop fields and applying edits. Errors surface at Flush.
func WriteRequestHead(bw *bufio.Writer, r *Request, e *Edits, dyn []Dyn) {
	_, _ = bw.Write(r.Method)
	_ = bw.WriteByte(' ')
	_, _ = bw.Write(r.Target)
	_, _ = bw.WriteString(" HTTP/1.1\r\n")
	if r.hostFields == 0 {
		// HTTP/1.0 without Host, sent on as HTTP/1.1, which requires one:
		// empty, as RFC 9112 3.2 says for a target without authority.
		_, _ = bw.WriteString("Host: \r\n")
	}
	var te []byte
	if r.Chunked {
		te = chunkedTE
	}
	writeFields(bw, &r.head, e, dyn, te, false)
	if r.Upgrade {
		writeUpgrade(bw, &r.head)
	}
	_, _ = bw.WriteString("\r\n")
}

// writeUpgrade re-adds the hop-by-hop fields of a protocol upgrade
// (WebSocket), which a proxy forwards explicitly.
func writeUpgrade(bw *bufio.Writer, h *head) {
	for i := range h.Fields {
		if EqualFold(h.Fields[i].Name, "upgrade") {
			_, _ = bw.Write(h.Fields[i].Name)
			_, _ = bw.WriteString(": ")
			_, _ = bw.Write(h.Fields[i].Value)
			_, _ = bw.WriteString("\r\n")
		}
	}
	_, _ = bw.WriteString("Connection: Upgrade\r\n")
}

var chunkedTE = []byte("chunked")

// WriteResponseHead writes resp's head to a downstream. closing says the
// proxy will close the downstream connection after this response;
// keepAlive10 says the client is HTTP/1.0 and asked to keep the connection;
// dechunk says a chunked body will be sent de-chunked and close-delimited
// (an HTTP/1.0 client), so no Transfer-Encoding is declared. A 1xx or 204
// never carries Content-Length or Transfer-Encoding, a 304 no
// Transfer-Encoding (RFC 9110 8.6, RFC 9112 6.1).
func WriteResponseHead(bw *bufio.Writer, resp *Response, e *Edits, closing, keepAlive10, dechunk bool) {
	_, _ = bw.WriteString("HTTP/1.1 ")
	// WriteByte, not Write of a stack array: the array would escape
	// through bufio's io.Writer and cost an allocation per response.
	_ = bw.WriteByte(byte('0' + resp.Status/100))
	_ = bw.WriteByte(byte('0' + resp.Status/10%10))
	_ = bw.WriteByte(byte('0' + resp.Status%10))
	_ = bw.WriteByte(' ')
	_, _ = bw.Write(resp.Reason)
	_, _ = bw.WriteString("\r\n")
	var te []byte
	if resp.Chunked && !dechunk && resp.Status >= 200 && resp.Status != 204 && resp.Status != 304 {
		te = resp.TE
	}
	writeFields(bw, &resp.head, e, nil, te, resp.Status < 200 || resp.Status == 204)
	switch {
	case resp.Status == 101:
		writeUpgrade(bw, &resp.head)
	case closing:
		_, _ = bw.WriteString("Connection: close\r\n")
	case keepAlive10:
		_, _ = bw.WriteString("Connection: keep-alive\r\n")
	}
	_, _ = bw.WriteString("\r\n")
}

// WriteSimple writes a complete locally generated response (an error, a
// fault abort, a 429) with a short text body.
func WriteSimple(bw *bufio.Writer, status int, reason, body string, closing bool, extra ...KV) {
	_, _ = bw.WriteString("HTTP/1.1 ")
	var num [20]byte
	_, _ = bw.Write(AppendInt(num[:0], int64(status)))
	_ = bw.WriteByte(' ')
	_, _ = bw.WriteString(reason)
	_, _ = bw.WriteString("\r\nContent-Type: text/plain\r\nContent-Length: ")
	_, _ = bw.Write(AppendInt(num[:0], int64(len(body))))
	_, _ = bw.WriteString("\r\n")
	for _, kv := range extra {
		writeKV(bw, kv)
	}
	if closing {
		_, _ = bw.WriteString("Connection: close\r\n")
	}
	_, _ = bw.WriteString("\r\n")
	_, _ = bw.WriteString(body)
}
