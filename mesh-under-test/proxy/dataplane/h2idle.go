package dataplane

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// idleBody enforces stream_idle_timeout on an HTTP/2 request body: when no
// read returned for the timeout (a client that opens a stream and trickles
// or stops its body, the HTTP/2 slow-loris), the stream's read deadline is
// set in the past, so the body read fails and the request ends. One timer
// per stream, re-armed from the last read; a read costs one clock read and
// an atomic store. The timer stops at the body's end or the handler's.
type idleBody struct {
	io.ReadCloser
	d    time.Duration
	rc   *http.ResponseController
	last atomic.Int64 // Unix ns of the last read's return

	mu    sync.Mutex // orders the timer's deadline call with stop
	done  bool
	timer *time.Timer
}

func newIdleBody(body io.ReadCloser, w http.ResponseWriter, d time.Duration) *idleBody {
	b := &idleBody{ReadCloser: body, d: d, rc: http.NewResponseController(w)}
	b.last.Store(time.Now().UnixNano())
	b.mu.Lock()
	b.timer = time.AfterFunc(d, b.check)
	b.mu.Unlock()
	return b
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.last.Store(time.Now().UnixNano())
	if errors.Is(err, io.EOF) {
		b.stop() // the whole body arrived: the route timeout governs the rest
	}
	return n, err
}

func (b *idleBody) check() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return // the handler may have returned: w must not be touched
	}
	idle := time.Duration(time.Now().UnixNano() - b.last.Load())
	if idle < b.d {
		b.timer.Reset(b.d - idle)
		return
	}
	_ = b.rc.SetReadDeadline(time.Now().Add(-time.Second)) // in the past: the body fails now
}

// stop ends the timer; after it returns, check never touches the stream.
func (b *idleBody) stop() {
	b.mu.Lock()
	b.done = true
	b.timer.Stop()
	b.mu.Unlock()
}
