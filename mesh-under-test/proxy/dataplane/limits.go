package dataplane

import (
	"sync/atomic"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
)

// DefaultMaxConnections caps downstream connections per proxy when
// Options.MaxConnections is 0: the limit Envoy's edge best practices give
// the overload manager (global_downstream_max_connections); Envoy itself
// has none unless configured.
const DefaultMaxConnections = 50_000

// Connection states for the timeout sweeper. A connection's state word
// holds the state in its top two bits and, below, the time (Unix ns) the
// sweeper first saw it in that state (0 until then): the data path only
// stores the state, never reads the clock for it.
const (
	connIdle   uint64 = iota // waiting for the first byte of a request
	connHead                 // reading a request head
	connBusy                 // serving a request (HTTP/1.1), or streams open (HTTP/2)
	stateShift = 62
	sinceMask  = 1<<stateShift - 1
)

// connTimers is the sweeper's view of one downstream connection.
type connTimers struct {
	state atomic.Uint64
	// idleTO and headTO are the connection's limits in ns (0: none), set
	// from its listener's HTTP connection manager.
	idleTO, headTO atomic.Int64
	// expired records which state's timeout fired (connIdle or connHead), +1.
	expired atomic.Uint32
}

func (t *connTimers) setState(s uint64) { t.state.Store(s << stateShift) }

// markActive restarts the idle clock after bytes moved (the TCP relay,
// once per message and direction): a store only when the sweeper has
// stamped the state since, or it is not idle. The sweeper stamps at most
// once a tick, so most messages pay a plain load instead of a locked
// store. A stamp racing this load lands after the bytes moved, so the idle
// time it starts is never longer than the truth.
func (t *connTimers) markActive() {
	if t.state.Load() != connIdle<<stateShift {
		t.state.Store(connIdle << stateShift)
	}
}

func (t *connTimers) busy() bool { return t.state.Load()>>stateShift == connBusy }

// setLimits is called by the connection's own goroutine only (the
// sweeper reads), after every HTTP/1.1 request: a limit is stored only
// when it changed, because an atomic store is a locked instruction and a
// load is a plain one.
func (t *connTimers) setLimits(l *config.Limits) {
	if v := int64(l.IdleTimeout); t.idleTO.Load() != v {
		t.idleTO.Store(v)
	}
	if v := int64(l.HeadersTimeout); t.headTO.Load() != v {
		t.headTO.Store(v)
	}
}

// headTimedOut reports whether the connection ended because its request
// head did not arrive in time (the client gets a 408).
func (t *connTimers) headTimedOut() bool { return t.expired.Load() == uint32(connHead)+1 }

// check stamps or expires one connection; it reports true when the
// connection's timeout has passed.
func (t *connTimers) check(now int64) bool {
	v := t.state.Load()
	var limit int64
	switch v >> stateShift {
	case connIdle:
		limit = t.idleTO.Load()
	case connHead:
		limit = t.headTO.Load()
	default:
		return false
	}
	if limit <= 0 {
		return false
	}
	since := int64(v & sinceMask)
	if since == 0 {
		t.state.CompareAndSwap(v, v|uint64(now)&sinceMask)
		return false
	}
	if now-since < limit {
		return false
	}
	t.expired.Store(uint32(v>>stateShift) + 1)
	return true
}

// sweepTick is how often the sweeper looks: a quarter of the shortest
// timeout configured, between 10 ms and 1 s, so a timeout fires at most a
// tick late (and, stamped at first sight, at most a tick early).
func sweepTick(snap *config.Snapshot) time.Duration {
	tick := time.Second
	for _, l := range snap.Listeners {
		for _, c := range l.Chains {
			ds := []time.Duration{c.TCPIdleTimeout}
			if c.HTTP != nil {
				ds = append(ds, c.HTTP.Limits.IdleTimeout, c.HTTP.Limits.HeadersTimeout, c.HTTP.StreamIdleTimeout)
			}
			for _, d := range ds {
				if d > 0 && d/4 < tick {
					tick = d / 4
				}
			}
		}
	}
	return max(tick, 10*time.Millisecond)
}

// sweep closes the reads of connections idle or reading a head for longer
// than their limits, every tick, until stop is closed. One goroutine per
// proxy instead of a timer per connection: the per-request cost is three
// atomic stores, not timer-heap updates.
func (p *Proxy) sweep(stop <-chan struct{}) {
	defer p.wg.Done()
	t := time.NewTimer(time.Duration(p.tick.Load()))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := time.Now()
		p.mu.Lock()
		for c := range p.conns {
			if c.check(now.UnixNano()) {
				_ = c.Conn.SetReadDeadline(now) // the reader wakes with ErrDeadlineExceeded
			}
		}
		p.mu.Unlock()
		t.Reset(time.Duration(p.tick.Load()))
	}
}

// tcpLimits are a tcp_proxy connection's: idle only (no heads to read).
func tcpLimits(c *config.Chain) *config.Limits {
	return &config.Limits{IdleTimeout: c.TCPIdleTimeout}
}

// initialLimits are a new connection's limits before its protocol is
// known: those of the listener's first chain (HTTP or tcp_proxy; Envoy's
// defaults otherwise), so a connection that never sends a byte is closed after the
// idle timeout.
func initialLimits(l *config.Listener) config.Limits {
	for _, c := range l.Chains {
		switch {
		case c.HTTP != nil:
			return c.HTTP.Limits
		case c.TCP != nil:
			return *tcpLimits(c)
		}
	}
	return config.Limits{IdleTimeout: config.DefaultIdleTimeout}
}
