package dataplane

import (
	"errors"
	"io"
	"sync"
)

// errAttemptOver: the attempt that read this view of a request body was
// given up (a retry took its place); the transport stops sending it.
var errAttemptOver = errors.New("request body: attempt given up for a retry")

// replayBody keeps a request body on the x/net/http2 path so a retry can
// send it again, as Envoy's router buffers the body of a request it may
// retry: every byte read from the downstream body goes upstream at once
// (nothing waits for the end of the body) and is kept, up to limit. Once
// the body outgrows limit it is no longer kept (onOver is called once) and
// the request is not retried; a body still arriving when a retry starts
// is resent from the start and then continues to stream, as in Envoy.
//
// Each attempt reads its own view. Only the newest view reads: an older
// one (its attempt given up, its stream reset, the transport's writer
// perhaps still blocked in a read) gets errAttemptOver, and whatever its
// last read brought is kept for the newest. Safe for concurrent use.
type replayBody struct {
	src    io.Reader
	limit  int64
	onOver func()

	mu      sync.Mutex
	cond    sync.Cond
	buf     []byte // bytes read from src from offset base on
	base    int64
	total   int64 // bytes read from src
	err     error // src's end (io.EOF) or failure
	over    bool  // outgrew limit: not replayable
	reading bool  // a view is in src.Read (outside mu)
	cur     *replayView
}

func newReplayBody(src io.Reader, limit int64, onOver func()) *replayBody {
	b := &replayBody{src: src, limit: limit, onOver: onOver}
	b.cond.L = &b.mu
	return b
}

// view starts an attempt's read of the body from its start; ok is false
// once the body outgrew the limit (the previous views then keep reading).
func (b *replayBody) view() (_ io.ReadCloser, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.over {
		return nil, false
	}
	b.cur = &replayView{b: b}
	b.cond.Broadcast() // an older view waiting for a reader gives up
	return b.cur, true
}

// stop gives the current view up (its attempt is over): until the next
// view, nothing reads the body and nothing kept is dropped.
func (b *replayBody) stop() {
	b.mu.Lock()
	b.cur = nil
	b.cond.Broadcast()
	b.mu.Unlock()
}

// replayable reports whether the body is still kept whole.
func (b *replayBody) replayable() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.over
}

type replayView struct {
	b   *replayBody
	off int64
}

func (v *replayView) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b := v.b
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if b.cur != v {
			return 0, errAttemptOver
		}
		if v.off < b.total {
			n := copy(p, b.buf[v.off-b.base:])
			v.off += int64(n)
			if b.over { // nothing will be replayed: forget what this view has sent
				b.buf = b.buf[v.off-b.base:]
				b.base = v.off
			}
			return n, nil
		}
		if b.err != nil {
			return 0, b.err
		}
		if b.reading {
			b.cond.Wait()
			continue
		}
		b.reading = true
		b.mu.Unlock()
		n, err := b.src.Read(p)
		b.mu.Lock()
		b.reading = false
		b.cond.Broadcast()
		if n > 0 {
			b.total += int64(n)
			if !b.over && b.total > b.limit {
				b.over = true
				if b.onOver != nil {
					b.onOver()
				}
			}
			if b.cur == v && v.off == b.total-int64(n) && b.over && v.off == b.base+int64(len(b.buf)) {
				// caught up and nothing kept: hand the bytes straight over
				v.off = b.total
				b.base, b.buf = b.total, b.buf[:0]
				if err != nil {
					b.err = err
				}
				return n, nil
			}
			b.buf = append(b.buf, p[:n]...)
		}
		if err != nil {
			b.err = err
		}
	}
}

// Close ends this view only: the downstream body belongs to the handler.
func (v *replayView) Close() error { return nil }
