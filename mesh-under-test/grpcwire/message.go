package grpcwire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// prefixLen is gRPC's message prefix: a compressed flag and a 4-byte
// big-endian length.
const prefixLen = 5

// frame returns msg with its prefix (uncompressed).
func frame(msg []byte) []byte {
	b := make([]byte, prefixLen+len(msg))
	binary.BigEndian.PutUint32(b[1:prefixLen], uint32(len(msg)))
	copy(b[prefixLen:], msg)
	return b
}

// StatusError is a call that ended with a grpc-status other than OK.
type StatusError struct {
	Method  string
	Code    int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("grpcwire: %s: status %d (%s): %s", e.Method, e.Code, codeName(e.Code), e.Message)
}

// Code returns err's gRPC status code: 0 for nil, 2 (Unknown) for an error
// that carries none.
func Code(err error) int {
	if err == nil {
		return 0
	}
	var st *StatusError
	if errors.As(err, &st) {
		return st.Code
	}
	return 2
}

var codeNames = [...]string{"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
	"AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
	"Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"}

func codeName(c int) string {
	if c >= 0 && c < len(codeNames) {
		return codeNames[c]
	}
	return "code " + strconv.Itoa(c)
}

// reader reads a response's messages and, at its end, its status.
type reader struct {
	resp   *http.Response
	max    int
	method string
	hdr    [prefixLen]byte
}

// next returns the next message; io.EOF when the stream ended with status
// OK; a *StatusError when it ended with another; any other error for a
// response that breaks the protocol (truncated, oversized, compressed) or a
// broken connection.
func (r *reader) next() ([]byte, error) {
	_, err := io.ReadFull(r.resp.Body, r.hdr[:])
	switch {
	case err == io.EOF:
		if st := r.status(); st != nil {
			return nil, st
		}
		if r.grpcStatus() == "" {
			return nil, fmt.Errorf("grpcwire: %s: the stream ended without a grpc-status", r.method)
		}
		return nil, io.EOF
	case err == io.ErrUnexpectedEOF:
		return nil, fmt.Errorf("grpcwire: %s: truncated message prefix", r.method)
	case err != nil:
		return nil, fmt.Errorf("grpcwire: %s: %w", r.method, err)
	}
	if r.hdr[0] != 0 {
		return nil, fmt.Errorf("grpcwire: %s: message flag %#x: compressed messages are not accepted", r.method, r.hdr[0])
	}
	n := binary.BigEndian.Uint32(r.hdr[1:])
	if uint64(n) > uint64(r.max) {
		return nil, fmt.Errorf("grpcwire: %s: message of %d bytes exceeds the limit of %d", r.method, n, r.max)
	}
	msg := make([]byte, n)
	if got, err := io.ReadFull(r.resp.Body, msg); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, fmt.Errorf("grpcwire: %s: truncated message: %d of %d bytes", r.method, got, n)
		}
		return nil, fmt.Errorf("grpcwire: %s: %w", r.method, err)
	}
	return msg, nil
}

// grpcStatus is the grpc-status trailer, or the header of a trailers-only
// response.
func (r *reader) grpcStatus() string {
	if s := r.resp.Trailer.Get("grpc-status"); s != "" {
		return s
	}
	return r.resp.Header.Get("grpc-status")
}

// status returns the call's error status, nil when it is OK or absent.
func (r *reader) status() *StatusError {
	msg := r.resp.Trailer.Get("grpc-message")
	if msg == "" {
		msg = r.resp.Header.Get("grpc-message")
	}
	return r.statusOf(r.grpcStatus(), msg)
}

// headerStatus is the error status of a trailers-only response (in its
// headers), nil when there is none.
func (r *reader) headerStatus() *StatusError {
	return r.statusOf(r.resp.Header.Get("grpc-status"), r.resp.Header.Get("grpc-message"))
}

func (r *reader) statusOf(s, msg string) *StatusError {
	if s == "" || s == "0" {
		return nil
	}
	if m, err := url.PathUnescape(msg); err == nil {
		msg = m
	}
	code, err := strconv.Atoi(s)
	if err != nil {
		return &StatusError{Method: r.method, Code: 2, Message: fmt.Sprintf("malformed grpc-status %q: %s", s, msg)}
	}
	return &StatusError{Method: r.method, Code: code, Message: msg}
}
