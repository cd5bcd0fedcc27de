package dataplane

import (
	"sync"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
)

// exporters holds one span exporter per collector address and service
// name, shared by every listener and kept across configuration snapshots
// (a push must not drop the queue or reconnect).
type exporters struct {
	m sync.Map // string -> *telemetry.Exporter
	// mu serialises creation only; lookups are lock-free.
	mu sync.Mutex
}

// exporter returns the exporter for a tracing config, or nil when it
// exports nothing (or the exporter cannot be made: logged once).
func (p *Proxy) exporter(t *config.Tracing) *telemetry.Exporter {
	addr := t.CollectorAddr()
	if addr == "" {
		return nil
	}
	svc := t.ServiceName
	if svc == "" {
		svc = p.opts.ID
	}
	key := addr + "|" + svc
	if e, ok := p.exp.m.Load(key); ok {
		return e.(*telemetry.Exporter)
	}
	p.exp.mu.Lock()
	defer p.exp.mu.Unlock()
	if e, ok := p.exp.m.Load(key); ok {
		return e.(*telemetry.Exporter)
	}
	e, err := telemetry.NewExporter(telemetry.ExporterOptions{Addr: addr, Service: svc, Counters: &p.metrics.Spans, Log: p.log})
	if err != nil {
		p.log.Warn("span exporter", "err", err)
		return nil
	}
	p.exp.m.Store(key, e)
	return e
}

// closeExporters flushes and stops every exporter (on Shutdown).
func (p *Proxy) closeExporters() {
	p.exp.m.Range(func(k, v any) bool {
		v.(*telemetry.Exporter).Close()
		p.exp.m.Delete(k)
		return true
	})
}

// recordSpan exports this hop's span when the request is sampled and the
// HCM exports spans. kind follows the listener's direction.
func (p *Proxy) recordSpan(t *config.Tracing, hop *telemetry.Hop, dir string, s *telemetry.Span) {
	if t == nil || t.Collector == nil || !hop.Valid || !hop.Sampled {
		return
	}
	e := p.exporter(t)
	if e == nil {
		return
	}
	s.Hop = *hop
	// The caller's sidecar is the client side of the call; inbound
	// sidecars and gateways (which receive calls) are the server side.
	s.Kind = telemetry.KindServer
	if dir == config.Outbound {
		s.Kind = telemetry.KindClient
	}
	if s.End.IsZero() {
		s.End = time.Now()
	}
	e.Record(s)
}
