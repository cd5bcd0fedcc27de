package dataplane

import (
	"strconv"
	"strings"

	"golang.org/x/net/http2/hpack"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
)

// fieldHeaders shows an HTTP/2 header list to matchers: every value of a
// repeated field joined with ",", as Envoy's matchers read it.
type fieldHeaders []hpack.HeaderField

func (x fieldHeaders) Get(name string) ([]byte, bool) {
	var first []byte
	var joined []byte
	found := 0
	for _, f := range x {
		if !strings.EqualFold(f.Name, name) {
			continue
		}
		switch found {
		case 0:
			first = match.BytesOf(f.Value)
		case 1:
			joined = append(append(append(joined, first...), ','), f.Value...)
		default:
			joined = append(append(joined, ','), f.Value...)
		}
		found++
	}
	if found > 1 {
		return joined, true
	}
	return first, found == 1
}

func fieldValue(fs []hpack.HeaderField, name string) string {
	for _, f := range fs {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// statusText is a status code's decimal form; the common ones are
// constants (strconv.Itoa allocates past 99).
func statusText(status int) string {
	switch status {
	case 200:
		return "200"
	case 204:
		return "204"
	case 404:
		return "404"
	case 503:
		return "503"
	}
	return strconv.Itoa(status)
}

// requestFields is the head sent upstream: the pseudo-headers with the
// normalised path, the client's fields (minus host, which :authority
// carries), the route's edits and the trace context. It reuses the
// stream's (pooled) slice.
func requestFields(st *fstream, regular []hpack.HeaderField) []hpack.HeaderField {
	out := st.fields[:0]
	out = append(out, hpack.HeaderField{Name: ":method", Value: st.method}, hpack.HeaderField{Name: ":scheme", Value: "http"},
		hpack.HeaderField{Name: ":authority", Value: st.authority}, hpack.HeaderField{Name: ":path", Value: st.path})
	for _, f := range regular {
		if f.Name != "host" {
			out = append(out, f)
		}
	}
	out = editFields(out, st.route.ReqEdits)
	var tr telemetry.Trace
	tr.Generate = st.hc.GenerateTraces
	if tp := tr.Traceparent(match.BytesOf(fieldValue(regular, "traceparent"))); tp != nil {
		out = setField(out, "traceparent", string(tp))
	}
	if span, parent := tr.B3(match.BytesOf(fieldValue(regular, "x-b3-spanid"))); span != nil {
		out = setField(out, "x-b3-spanid", string(span))
		out = setField(out, "x-b3-parentspanid", string(parent))
	}
	return out
}

// responseFields appends to out (the stream's scratch, reused) the head
// sent downstream: status, the upstream's fields minus connection-specific
// ones, the route's edits.
func responseFields(out []hpack.HeaderField, status int, regular []hpack.HeaderField, e *http1.Edits) []hpack.HeaderField {
	out = append(out, hpack.HeaderField{Name: ":status", Value: statusText(status)})
	for _, f := range regular {
		if !connSpecific(f) || f.Name == "te" {
			out = append(out, f)
		}
	}
	return editFields(out, e)
}

func delField(fs []hpack.HeaderField, name string) []hpack.HeaderField {
	out := fs[:0]
	for _, f := range fs {
		if f.Name != name {
			out = append(out, f)
		}
	}
	return out
}

func setField(fs []hpack.HeaderField, name, value string) []hpack.HeaderField {
	return append(delField(fs, name), hpack.HeaderField{Name: name, Value: value})
}

// editFields applies the route's header edits (names lower-cased: HTTP/2
// field names are).
func editFields(fs []hpack.HeaderField, e *http1.Edits) []hpack.HeaderField {
	if e == nil {
		return fs
	}
	for _, k := range e.Remove {
		fs = delField(fs, strings.ToLower(k))
	}
	for _, kv := range e.Set {
		fs = setField(fs, strings.ToLower(kv.Name), kv.Value)
	}
	for _, kv := range e.Append {
		fs = append(fs, hpack.HeaderField{Name: strings.ToLower(kv.Name), Value: kv.Value})
	}
	for _, kv := range e.AddIfAbsent {
		if n := strings.ToLower(kv.Name); fieldValue(fs, n) == "" {
			fs = append(fs, hpack.HeaderField{Name: n, Value: kv.Value})
		}
	}
	return fs
}
