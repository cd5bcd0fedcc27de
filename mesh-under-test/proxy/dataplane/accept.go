package dataplane

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/rawconn"
)

// acceptBatch is how many connections the accept loop takes in a row
// before it lets the network poller run (rawconn.PollRound). With a full
// backlog (a flood: 2000 connections opened within milliseconds) accept(2)
// never blocks, and without the bound the loop kept a P busy for up to
// 40 ms at a time while the goroutines of requests whose sockets were
// readable waited unseen (a runtime trace of the flood scenario: stretches
// of 100-219 accepts ended only by preemption, and request goroutines
// runnable 5-10 ms). 16 accepts cost well under a millisecond of CPU here;
// a round costs two pipe system calls. Envoy's equivalent is the
// listener's max_connections_to_accept_per_socket_event (unbounded by
// default there; its QUIC listener's default is 16).
const acceptBatch = 16

// listen binds a listener. Accepted connections get no TCP keepalive
// (Go's default would set SO_KEEPALIVE and three timers on every accepted
// socket, four system calls before its first byte): Envoy sets none on
// downstream connections unless configured, and idle connections are
// closed by the idle timeout (limits.go).
func listen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	return lc.Listen(context.Background(), "tcp", addr)
}

func (p *Proxy) acceptLoop(bl *boundListener) {
	defer p.wg.Done()
	batch := p.newPollBatch("accept loop", "listener", bl.cfg.Load().Name)
	defer batch.close()
	for {
		c, err := bl.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			p.log.Warn("accept failed", "err", err)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		batch.step()
		tc := &trackedConn{Conn: rawconn.Wrap(c), bl: bl}
		tc.setLimits(ptr(initialLimits(bl.cfg.Load())))
		p.mu.Lock()
		if p.draining.Load() || len(p.conns) >= p.opts.MaxConnections {
			full := !p.draining.Load()
			p.mu.Unlock()
			_ = c.Close()
			if full {
				// Envoy's overload behaviour: new connections are closed
				// at once while the proxy holds its maximum.
				p.metrics.ConnsRefused.WithLabelValues(bl.cfg.Load().Name).Inc()
			}
			continue
		}
		p.conns[tc] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		bl.connsTotal.Inc()
		bl.connsActive.Inc()
		go p.serveAccepted(bl, tc)
	}
}

// serveAccepted runs one accepted connection to its end. Until the first
// byte arrives it holds no read buffer and runs on the goroutine's
// starting stack, and until a plaintext HTTP connection's first request
// head is complete it holds only that head's bytes (gatherHead):
// serveConn's buffers and deep frames come with a head to parse, so an
// idle flood of connections, or slow-loris clients that never finish a
// head, cost little memory and no garbage collection. A connection timed
// out (idle timeout, Shutdown) ends here; one its peer closed (before its
// first byte, as a flood's, or after, as slow-loris clients with half a
// request head, or a client done with its keep-alive connection) goes to
// the reaper: 500 slow-loris connections dropped at once cost the requests
// woken by the same polls what 2000 idle ones did before the reaper.
func (p *Proxy) serveAccepted(bl *boundListener, tc *trackedConn) {
	err := rawconn.WaitReadable(tc.Conn)
	if err == nil {
		if err = p.gatherHead(bl, tc); err != nil && tc.headTimedOut() {
			err = nil // serveConn reads what came, then answers 408
		}
	}
	if err != nil {
		tc.dropPre()
		if !errors.Is(err, io.EOF) || !p.toReaper(tc) {
			p.release(tc)
		}
		return
	}
	p.serveConn(bl, tc)
	if !tc.peerClosed.Load() || !p.toReaper(tc) {
		p.release(tc)
	}
}

// release closes an accepted connection and forgets it.
func (p *Proxy) release(tc *trackedConn) {
	_ = tc.Close()
	tc.bl.connsActive.Dec()
	p.mu.Lock()
	delete(p.conns, tc)
	p.mu.Unlock()
	p.wg.Done()
}

// reapQueue bounds the connections waiting for the reaper; beyond it
// they are closed where they ended.
const reapQueue = 4096

// toReaper hands a connection its peer closed before sending anything to
// the reaper, unless the proxy is shutting down (then the reaper may have
// drained already) or the queue is full.
func (p *Proxy) toReaper(tc *trackedConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.draining.Load() {
		return false
	}
	select {
	case p.reapq <- tc:
		return true
	default:
		return false
	}
}

// reap closes the connections toReaper queued, at most acceptBatch per
// network poll. When a flood's connections are closed at once, each wakes
// its goroutine and close(2) with its poller bookkeeping is most of what
// they cost: done inline, 2000 of them ran ahead of the requests woken by
// the same polls (the flood scenario's highest p99 moved to that moment
// once the accept loop was bounded). Shutdown (stop) drains the queue.
func (p *Proxy) reap(stop <-chan struct{}) {
	defer p.wg.Done()
	batch := p.newPollBatch("reaper")
	defer batch.close()
	for {
		select {
		case tc := <-p.reapq:
			p.release(tc)
			batch.step()
		case <-stop:
			for {
				select {
				case tc := <-p.reapq:
					p.release(tc)
				default:
					return
				}
			}
		}
	}
}

// pollBatch lets the network poller run after every acceptBatch steps of
// a loop that may never block (the accept loop under a full backlog, the
// reaper under a mass close). Without a poll round (NewPollRound failed)
// the loop runs unbounded, as before the bound, with a warning.
type pollBatch struct {
	round *rawconn.PollRound
	n     int
}

func (p *Proxy) newPollBatch(loop string, logArgs ...any) *pollBatch {
	round, err := rawconn.NewPollRound()
	if err != nil {
		p.log.Warn(loop+" without poll rounds", append(logArgs, "err", err)...)
	}
	return &pollBatch{round: round}
}

// step counts one unit of work and, every acceptBatch, waits one round.
func (b *pollBatch) step() {
	if b.round == nil {
		return
	}
	if b.n++; b.n == acceptBatch {
		b.n = 0
		_ = b.round.Wait()
	}
}

func (b *pollBatch) close() {
	if b.round != nil {
		_ = b.round.Close()
	}
}
