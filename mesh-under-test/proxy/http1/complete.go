package http1

import "bytes"

// HeadComplete reports whether b holds a whole head as Request.Read
// delimits one: lines end at LF (a CR before it belongs to the ending),
// empty lines before the first line are skipped, and the head ends at the
// first empty line after it. When it reports true, Read from a reader that
// buffers b returns (a request or an error) without reading past b; when
// it reports false, Read would need more bytes (or fail on these).
//
// Why: a caller that must not block (a read held in the poller,
// rawconn.Hold) parses only a head it already has; Read itself consumes
// what it parses and cannot resume.
func HeadComplete(b []byte) bool {
	started := false
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return false
		}
		empty := i == 0 || (i == 1 && b[0] == '\r')
		if empty && started {
			return true
		}
		started = started || !empty
		b = b[i+1:]
	}
}
