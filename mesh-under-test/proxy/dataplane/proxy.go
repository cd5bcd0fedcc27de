package dataplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/health"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/inject"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// Options configure a Proxy.
type Options struct {
	// ID names this proxy (the source label of outbound metrics).
	ID      string
	Log     *slog.Logger
	Metrics *telemetry.Metrics
	// AccessLog is where sampled access-log records go (nil: Log).
	AccessLog *slog.Logger
	Inject    *inject.Injector
	// MaxConnections caps open downstream connections across listeners;
	// further ones are closed on accept (0: DefaultMaxConnections).
	MaxConnections int
	// H2XNet serves every HTTP/2 connection on x/net/http2's Server and
	// Transport (the path before the lean one) instead of the lean path
	// (h2fast_*.go: x/net/http2's Framer and hpack, one reader goroutine per
	// connection), which is the default whenever every cluster of the
	// connection's routes speaks HTTP/2. A fallback (meshproxy
	// --h2-fast=false): see docs/proxy.md for when to use it.
	H2XNet bool
}

// Proxy is the data plane. Apply is safe to call from any goroutine but
// not concurrently with itself (xdsconfig.Applier's contract); everything
// else is safe for concurrent use.
type Proxy struct {
	opts     Options
	log      *slog.Logger
	metrics  *telemetry.Metrics
	compiler *config.Compiler
	snap     atomic.Pointer[config.Snapshot]
	h2srv    *http2.Server
	// h2base exists so Shutdown can tell h2 connections to drain (GOAWAY):
	// http2.ConfigureServer hooks graceful shutdown onto it.
	h2base *http.Server
	// pad are the injected upstream request headers (none unless
	// --inject-upstream-headers), fixed at New.
	pad []http1.Dyn

	mu        sync.Mutex
	listeners map[string]*boundListener // by address
	checks    context.CancelFunc
	conns     map[*trackedConn]struct{}
	draining  atomic.Bool
	wg        sync.WaitGroup
	// tick is the timeout sweeper's period (ns); stopSweep ends it.
	tick      atomic.Int64
	stopSweep chan struct{}
	// reapq holds connections closed by their peer before their first
	// byte, for the reaper (accept.go); stopSweep ends it too.
	reapq chan *trackedConn

	// fast holds the lean path's downstream connections (*fconn), for
	// Shutdown's GOAWAY.
	fast sync.Map

	// accessLogs caches one sampler per sampling fraction.
	alMu       sync.Mutex
	accessLogs map[float64]*telemetry.AccessLog
	// exp are the span exporters (tracing.go).
	exp exporters
}

// accessLog returns the shared access-log sampler for a fraction.
func (p *Proxy) accessLog(fraction float64) *telemetry.AccessLog {
	p.alMu.Lock()
	defer p.alMu.Unlock()
	al, ok := p.accessLogs[fraction]
	if !ok {
		if p.accessLogs == nil {
			p.accessLogs = map[float64]*telemetry.AccessLog{}
		}
		al = telemetry.NewAccessLog(p.opts.AccessLog, fraction)
		p.accessLogs[fraction] = al
	}
	return al
}

var _ xdsconfig.Applier = (*Proxy)(nil)

// New returns a proxy with no configuration (not ready).
func New(o Options) *Proxy {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = telemetry.NewMetrics()
	}
	if o.AccessLog == nil {
		o.AccessLog = o.Log
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	p := &Proxy{opts: o, log: o.Log, metrics: o.Metrics, compiler: config.NewCompiler(),
		h2srv: &http2.Server{MaxReadFrameSize: h2MaxReadFrame}, h2base: &http.Server{}, listeners: map[string]*boundListener{}, conns: map[*trackedConn]struct{}{}}
	if err := http2.ConfigureServer(p.h2base, p.h2srv); err != nil {
		panic(err) // only fails on a TLS config conflict, and there is none
	}
	for _, h := range o.Inject.UpstreamHeaders() {
		p.pad = append(p.pad, http1.Dyn{Name: h.Name, Value: []byte(h.Value)})
	}
	o.Metrics.RegisterHealthGauge(p.healthyEndpoints)
	p.tick.Store(int64(time.Second))
	p.stopSweep = make(chan struct{})
	p.wg.Add(1)
	go p.sweep(p.stopSweep)
	p.reapq = make(chan *trackedConn, reapQueue)
	p.wg.Add(1)
	go p.reap(p.stopSweep)
	return p
}

// Metrics returns the proxy's metrics (for the admin server).
func (p *Proxy) Metrics() *telemetry.Metrics { return p.metrics }

// Snapshot returns the live configuration (nil before the first Apply).
func (p *Proxy) Snapshot() *config.Snapshot { return p.snap.Load() }

// Ready reports whether a configuration is applied and its listeners bound.
func (p *Proxy) Ready() bool { return p.snap.Load() != nil && !p.draining.Load() }

// Addr returns the bound address of the named listener ("" if none); useful
// when a listener asked for port 0.
func (p *Proxy) Addr(listener string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, bl := range p.listeners {
		if bl.cfg.Load().Name == listener {
			return bl.ln.Addr().String()
		}
	}
	return ""
}

// Apply compiles r and, if valid and its listeners can be bound, makes it
// live. On error the previous configuration keeps serving.
func (p *Proxy) Apply(ctx context.Context, r xdsconfig.Resources) error {
	snap, err := p.compiler.Compile(r)
	if err != nil {
		p.metrics.ConfigApply.WithLabelValues("rejected").Inc()
		return fmt.Errorf("apply version %q: %w", r.Version, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.draining.Load() {
		return errors.New("apply: proxy is shutting down")
	}
	// Bind new addresses first, so a bind failure rejects the whole set.
	fresh := map[string]*boundListener{}
	for _, l := range snap.Listeners {
		if p.listeners[l.Address] != nil {
			continue
		}
		ln, err := listen(l.Address)
		if err != nil {
			for _, bl := range fresh {
				_ = bl.ln.Close()
			}
			p.metrics.ConfigApply.WithLabelValues("rejected").Inc()
			return fmt.Errorf("apply version %q: listener %q: %w", r.Version, l.Name, err)
		}
		fresh[l.Address] = p.newBoundListener(ln, l)
	}
	snap.Commit()
	old := p.snap.Swap(snap)
	p.tick.Store(int64(sweepTick(snap)))
	keep := map[string]bool{}
	for _, l := range snap.Listeners {
		keep[l.Address] = true
		if bl := fresh[l.Address]; bl != nil {
			p.listeners[l.Address] = bl
			p.wg.Add(1)
			go p.acceptLoop(bl)
			p.log.Info("listener bound", "listener", l.Name, "address", bl.ln.Addr().String(), "direction", l.Direction)
			continue
		}
		p.listeners[l.Address].cfg.Store(l)
	}
	for addr, bl := range p.listeners {
		if !keep[addr] {
			p.log.Info("listener removed", "listener", bl.cfg.Load().Name, "address", addr)
			_ = bl.ln.Close()
			delete(p.listeners, addr)
		}
	}
	// permissive -> strict: plaintext connections opened before are
	// drained: idle ones (and TCP relays) closed now, busy HTTP/1.1 ones
	// after their response, h2 ones once their streams end (h1.go, h2.go).
	for c := range p.conns {
		if c.plaintextRefused() {
			c.wakeIfIdle()
		}
	}
	p.compiler.Endpoints.Retain(snap.Endpoints())
	if old != nil {
		for name, c := range old.Clusters {
			if snap.Clusters[name] != c {
				c.Close()
			}
		}
	}
	p.restartChecks(snap)
	p.metrics.ConfigApply.WithLabelValues("applied").Inc()
	p.log.Info("configuration applied", "version", r.Version, "listeners", len(snap.Listeners), "clusters", len(snap.Clusters))
	return nil
}

func (p *Proxy) restartChecks(snap *config.Snapshot) {
	if p.checks != nil {
		p.checks()
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.checks = cancel
	for _, c := range snap.Checks {
		hosts := c.Target.Hosts()
		go health.NewChecker(c.Config, hosts, p.log.With("cluster", c.Cluster)).Run(ctx)
	}
}

func (p *Proxy) healthyEndpoints() map[string]float64 {
	s := p.snap.Load()
	if s == nil {
		return nil
	}
	now := time.Now().UnixNano()
	out := make(map[string]float64, len(s.Clusters))
	for name, c := range s.Clusters {
		n := 0
		for _, h := range c.Hosts() {
			if h.Available(now) {
				n++
			}
		}
		out[name] = float64(n)
	}
	return out
}

// Shutdown stops accepting, lets in-flight requests finish and closes idle
// connections; when ctx ends first, remaining connections are closed.
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if !p.draining.Load() {
		close(p.stopSweep)
	}
	p.draining.Store(true)
	for addr, bl := range p.listeners {
		_ = bl.ln.Close()
		delete(p.listeners, addr)
	}
	if p.checks != nil {
		p.checks()
	}
	for c := range p.conns {
		c.wakeIfIdle()
	}
	p.mu.Unlock()
	go func() { _ = p.h2base.Shutdown(ctx) }() // GOAWAY to h2 connections
	p.fast.Range(func(k, _ any) bool { k.(*fconn).drain(); return true })
	done := make(chan struct{})
	go func() { p.wg.Wait(); p.closeExporters(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		for c := range p.conns {
			// Close waits while a request is served inside a held read
			// registration (h1held.go): never inline.
			go func() { _ = c.Conn.Close() }()
		}
		p.mu.Unlock()
		// Requests blocked on an upstream end with their route timeout;
		// don't wait for that.
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		return fmt.Errorf("shutdown: %w", ctx.Err())
	}
}

// Resources returns the live resource set (admin /config_dump).
func (p *Proxy) Resources() (xdsconfig.Resources, bool) {
	s := p.snap.Load()
	if s == nil {
		return xdsconfig.Resources{}, false
	}
	return s.Resources, true
}
