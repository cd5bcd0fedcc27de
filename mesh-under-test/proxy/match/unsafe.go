package match

import "unsafe"

// bytesOf views s as bytes without copying. The result must not be
// modified; it lets string-typed callers (net/http's h2 path) share
// matchers written for the HTTP/1.1 path's byte slices.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// BytesOf is bytesOf for other packages; the same no-modification rule holds.
func BytesOf(s string) []byte { return bytesOf(s) }
