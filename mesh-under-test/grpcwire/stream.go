package grpcwire

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Stream is a bidirectional streaming call. Send may be called from one
// goroutine at a time (it serializes callers itself) and Recv from another;
// Close ends the call from either side.
type Stream struct {
	method string
	cancel context.CancelFunc
	pw     *io.PipeWriter
	max    int

	// answered is closed when the response headers arrived (resp) or the
	// call failed before them (rtErr).
	answered chan struct{}
	resp     *http.Response
	rtErr    error

	sendMu sync.Mutex
	r      *reader // set by the first Recv
	err    error   // the error that ended the call, returned again
}

// NewStream opens a streaming call of method (its full name,
// "/package.Service/Method"). The request headers leave at once; the
// response headers are awaited by the first Recv, so a server that answers
// only after reading requests (as ADS servers do) is served.
func (c *Conn) NewStream(ctx context.Context, method string) (*Stream, error) {
	cc, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	req, err := c.request(ctx, method, "", pr)
	if err != nil {
		cancel()
		return nil, err
	}
	s := &Stream{method: method, cancel: cancel, pw: pw, answered: make(chan struct{}), max: c.o.MaxMessageBytes}
	// The transport watches the context only while it is not reading the
	// request body; a stream always is, so the end of ctx closes the body,
	// which resets the stream and fails a Recv.
	context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	go func() {
		s.resp, s.rtErr = cc.RoundTrip(req)
		if s.rtErr != nil {
			// Unblock a Send waiting on the pipe.
			pw.CloseWithError(s.rtErr)
		}
		close(s.answered)
	}()
	return s, nil
}

// Send writes one encoded message. It blocks while HTTP/2 flow control
// holds the stream, and fails once the call has ended.
func (s *Stream) Send(msg []byte) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if _, err := s.pw.Write(frame(msg)); err != nil {
		return s.sendError(err)
	}
	return nil
}

// sendError says why a Send failed: the server's answer when it refused
// the call outright (not gRPC, a status without messages), so that the
// reason is not lost behind "closed pipe"; otherwise that the call ended
// (Recv returns its status).
func (s *Stream) sendError(err error) error {
	select {
	case <-s.answered:
	case <-time.After(time.Second):
		return fmt.Errorf("grpcwire: %s: send: %w", s.method, err)
	}
	if s.rtErr != nil {
		return fmt.Errorf("grpcwire: %s: %w", s.method, s.rtErr)
	}
	// Only headers are read here: Recv may be reading the body.
	r := &reader{resp: s.resp, method: s.method}
	if err := r.check(); err != nil {
		return err
	}
	if st := r.headerStatus(); st != nil {
		return st
	}
	return fmt.Errorf("grpcwire: %s: send: the call has ended (Recv returns its status): %w", s.method, err)
}

// CloseSend half-closes the call: the server sees the end of the requests.
func (s *Stream) CloseSend() error { return s.pw.Close() }

// Recv returns the next encoded message; io.EOF when the server ended the
// call with status OK; a *StatusError for another status; any other error
// for a broken connection or a response that is not gRPC's. After an
// error the call is over.
func (s *Stream) Recv() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.r == nil {
		<-s.answered
		if s.rtErr != nil {
			return nil, s.fail(fmt.Errorf("grpcwire: %s: %w", s.method, s.rtErr))
		}
		s.r = &reader{resp: s.resp, max: s.max, method: s.method}
		if err := s.r.check(); err != nil {
			return nil, s.fail(err)
		}
	}
	msg, err := s.r.next()
	if err != nil {
		return nil, s.fail(err)
	}
	return msg, nil
}

func (s *Stream) fail(err error) error {
	s.err = err
	s.Close()
	return err
}

// Close ends the call (the stream is reset if still open) and releases it.
func (s *Stream) Close() {
	s.cancel()
	s.pw.CloseWithError(io.ErrClosedPipe)
	if s.r != nil {
		s.r.resp.Body.Close()
	}
}
