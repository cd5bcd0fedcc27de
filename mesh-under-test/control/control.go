package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/control/metrics"
	"github.com/meshbench/meshbench/mesh-under-test/control/registry"
	"github.com/meshbench/meshbench/mesh-under-test/control/server"
	"github.com/meshbench/meshbench/mesh-under-test/control/translate"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// Options configure a Controller.
type Options struct {
	Logger  *slog.Logger
	Metrics *metrics.Metrics
	// Sources are merged in order: services from every source (the first
	// source to name a service wins; one it names without endpoints takes
	// them from the first later source that has some: a mesh file states a
	// service's protocol, Kubernetes where its ready pods are), proxies and
	// policy from the first source that has them.
	Sources []registry.Source
	Server  *server.Server
	// Debounce is how long the controller waits for more changes after
	// one arrives (default 5ms); MaxDelay bounds that wait under a steady
	// stream of changes (default 100ms).
	Debounce, MaxDelay time.Duration
}

// Controller watches sources and keeps the server's snapshots current.
// Mesh and Ready are safe for concurrent use; Run is called once.
type Controller struct {
	opts  Options
	tr    translate.Translator // used by Run's goroutine only
	mesh  atomic.Pointer[meshconfig.Mesh]
	ready atomic.Bool
	built chan struct{}
}

// New checks opts and returns a Controller.
func New(opts Options) (*Controller, error) {
	if len(opts.Sources) == 0 || opts.Server == nil {
		return nil, errors.New("control: need at least one source and a server")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Debounce == 0 {
		opts.Debounce = 5 * time.Millisecond
	}
	if opts.MaxDelay == 0 {
		opts.MaxDelay = 100 * time.Millisecond
	}
	return &Controller{opts: opts, built: make(chan struct{})}, nil
}

// Mesh returns the current merged mesh (nil before the first build).
func (c *Controller) Mesh() *meshconfig.Mesh { return c.mesh.Load() }

// Ready reports whether the first configuration has been built.
func (c *Controller) Ready() bool { return c.ready.Load() }

// Built is closed once the first configuration has been built.
func (c *Controller) Built() <-chan struct{} { return c.built }

// IdentityOf returns the SPIFFE identity of a proxy, for the CA.
func (c *Controller) IdentityOf(nodeID string) (string, bool) {
	m := c.mesh.Load()
	if m == nil {
		return "", false
	}
	if p := m.Proxy(nodeID); p != nil {
		return p.Identity, true
	}
	return "", false
}

// Run starts the sources, builds the first configuration once every
// source that can say so (registry.Syncer) has its first view, then follows
// changes until ctx ends. Without that wait the first configuration would
// hold a Kubernetes service's mesh-file entry without its endpoints, and a
// proxy would answer 503 for it until the informers caught up.
func (c *Controller) Run(ctx context.Context) error {
	events := make(chan time.Time, 1)
	notify := func() {
		select {
		case events <- time.Now():
		default: // a rebuild is already pending; it will see this change
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(c.opts.Sources))
	for _, s := range c.opts.Sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Run(ctx, notify); err != nil && !errors.Is(err, context.Canceled) {
				errs <- fmt.Errorf("registry %s: %w", s.Name(), err)
			}
		}()
	}
	defer wg.Wait()
	for _, s := range c.opts.Sources {
		if sy, ok := s.(registry.Syncer); ok {
			select {
			case <-sy.Synced():
			case err := <-errs:
				return err
			case <-ctx.Done():
				return nil
			}
		}
	}
	if err := c.rebuild(ctx, time.Time{}); err != nil {
		return err
	}
	c.ready.Store(true)
	close(c.built)
	for {
		var first time.Time
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			return err
		case first = <-events:
		}
		c.debounce(ctx, events, first)
		if err := c.rebuild(ctx, first); err != nil {
			// Keep serving the last good configuration.
			c.opts.Logger.Error("rebuild failed", "error", err)
		}
	}
}

// debounce waits until no change arrived for Debounce, or MaxDelay passed.
func (c *Controller) debounce(ctx context.Context, events chan time.Time, first time.Time) {
	deadline := first.Add(c.opts.MaxDelay)
	quiet := time.NewTimer(c.opts.Debounce)
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-events:
			if time.Now().After(deadline) {
				return
			}
			quiet.Reset(c.opts.Debounce)
		case <-quiet.C:
			return
		}
	}
}

func (c *Controller) rebuild(ctx context.Context, changedAt time.Time) error {
	start := time.Now()
	m := merge(c.opts.Sources)
	proxies, err := c.tr.Build(m)
	if err != nil {
		return fmt.Errorf("translate: %w", err)
	}
	if err := c.opts.Server.Update(ctx, proxies, m.Revision, changedAt); err != nil {
		return err
	}
	c.mesh.Store(m)
	if c.opts.Metrics != nil {
		c.opts.Metrics.PushDuration.Observe(time.Since(start).Seconds())
	}
	c.opts.Logger.Debug("configuration rebuilt", "revision", m.Revision, "services", len(m.Services), "proxies", len(m.Proxies), "took", time.Since(start))
	return nil
}

// merge combines the sources' snapshots into one normalized mesh.
func merge(sources []registry.Source) *meshconfig.Mesh {
	m := &meshconfig.Mesh{}
	seen := map[string]int{} // service name -> index in m.Services
	for _, s := range sources {
		snap := s.Snapshot()
		for _, svc := range snap.Services {
			i, ok := seen[svc.Name]
			if !ok {
				seen[svc.Name] = len(m.Services)
				m.Services = append(m.Services, svc)
				continue
			}
			if len(m.Services[i].Endpoints) == 0 {
				m.Services[i].Endpoints = svc.Endpoints // the sources' slices are read only; so is the mesh
			}
		}
		if m.Proxies == nil {
			m.Proxies = snap.Proxies
			m.Credentials = snap.Credentials // the gateways' certificates travel with them
		}
		if snap.Policy != nil && policyEmpty(&m.Policy) {
			m.Policy = *snap.Policy
		}
		m.Revision = max(m.Revision, snap.Revision)
		if m.TrustDomain == "" {
			m.TrustDomain = snap.TrustDomain
		}
		if m.Telemetry == nil {
			m.Telemetry = snap.Telemetry
		}
	}
	m.Normalize()
	return m
}

func policyEmpty(p *meshconfig.Policy) bool {
	return p.MTLS == "" && len(p.Destinations) == 0 && len(p.Routes) == 0 && len(p.RateLimits) == 0 && len(p.Authorization) == 0
}
