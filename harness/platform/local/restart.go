package local

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/resilience"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/ports"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// A graceful restart of the app (fault restart app) with local processes
// in the place of kind's pods (harness/platform/kube rollout.go), in the
// same steps as `kubectl rollout restart` of a one-replica Deployment
// (maxSurge 1, maxUnavailable 0):
//  1. a new app (app-r1; in mode both with its own server proxy,
//     server-proxy-r1, a new node of the mesh file) on new free ports,
//     waited until it serves;
//  2. its endpoint added to the mesh file meshcontrol watches, waited
//     until the client proxy has it (its /config_dump, not a sleep);
//  3. the old endpoint marked `draining: true` (EDS DRAINING: the client
//     proxy sends it no new requests and lets those in flight complete),
//     waited until the client proxy has that too;
//  4. after drainGrace (kind's preStop sleep) the old server proxy and the
//     old app stopped (SIGTERM, SIGKILL after stopGrace, kind's grace
//     period), then the old endpoint and node removed from the mesh file.
// Steps 1-3 are Replace; step 4 runs in the background and Replaced waits
// for it. The new instances take the component names (app, server-proxy),
// so the topology's later faults and its Load's liveness check act on
// them; the old ones leave the process list before they are stopped.
// Every mesh file write is atomic (meshconfig.Mesh.WriteFile).

// The graceful stop's timings, kind's (kube preStopSeconds, graceSeconds).
const (
	drainGrace = 3 * time.Second
	stopGrace  = 10 * time.Second
	// pushTimeout bounds each wait for meshcontrol's push to arrive.
	pushTimeout = 15 * time.Second
)

// rollout is one graceful restart: the old instances being drained.
type rollout struct {
	old    []*process // the old server proxy (mode both), then the old app
	oldEP  string     // the old endpoint's address in the mesh file
	at     time.Time  // when the old endpoint was seen draining
	quit   chan struct{}
	done   chan struct{}
	detail string // what the stop did, once done
	err    error
	// reported: Replaced has returned this restart's end.
	reported bool
}

// mode is the lane's sidecar mode (both when unset).
func (t *topology) mode() string {
	if t.spec.Mode == "" {
		return platform.ModeBoth
	}
	return t.spec.Mode
}

// supportsRestart says whether restart app can be done here: the mesh
// lane on meshcontrol with a client proxy to drain the old app.
func (t *topology) supportsRestart(name string) error {
	unsupported := func(format string, a ...any) error {
		return fmt.Errorf("%w on local: %s", resilience.ErrUnsupported, fmt.Sprintf(format, a...))
	}
	mode := t.mode()
	switch {
	case name != results.RoleApp || t.spec.Graph != nil || len(t.replicas) > 0:
		return unsupported("a graceful restart restarts the single app of a mesh lane (no app_replicas, no service graph), not %q", name)
	case t.spec.Lane != platform.LaneMesh || t.mesh == nil || t.mesh.cfg == nil:
		return unsupported("a graceful restart needs meshcontrol to tell the client proxy to drain the old app; lane %s does not run it", t.spec.Lane)
	case mode != platform.ModeBoth && mode != platform.ModeClientOnly:
		return unsupported("mode %s has no client proxy to drain the old app (modes both and clientonly)", mode)
	case !t.spec.Mesh.AppGracefulStop:
		return unsupported("the topology was started without platform.MeshOptions.AppGracefulStop (the app and its server proxy are then measured, not replaced)")
	}
	return nil
}

// Replace implements resilience.Faultable: steps 1-3 above.
func (t *topology) Replace(ctx context.Context, name string) (string, error) {
	if err := t.supportsRestart(name); err != nil {
		return "", err
	}
	t.mu.Lock()
	if r := t.restart; r != nil && !closed(r.done) {
		t.mu.Unlock()
		return "", fmt.Errorf("restart %s: the previous restart is still stopping the old instance", name)
	}
	t.rollouts++
	n := t.rollouts
	both := t.mode() == platform.ModeBoth
	oldEP := t.addrs[results.RoleApp]
	if both {
		oldEP = t.addrs[results.RoleServerProxy]
	}
	clientAdmin := t.admins[results.RoleClientProxy]
	t.mu.Unlock()

	start := time.Now()
	appName := fmt.Sprintf("%s-r%d", results.RoleApp, n)
	app, err := t.startAppNamed(ctx, appName)
	if err != nil {
		return "", fmt.Errorf("restart app: %w", err)
	}
	ep, proxyName := app, fmt.Sprintf("%s-r%d", results.RoleServerProxy, n)
	if both {
		if ep, err = t.startServerProxy(ctx, proxyName, app); err != nil {
			return "", fmt.Errorf("restart app: %w", err)
		}
	}
	readyAfter := time.Since(start)

	if err := t.editMesh(func(m *meshconfig.Mesh) error {
		svc, err := serviceWith(m, oldEP)
		if err != nil {
			return err
		}
		svc.Endpoints = append(svc.Endpoints, meshconfig.Endpoint{Address: ep})
		return nil
	}); err != nil {
		return "", fmt.Errorf("restart app: %w", err)
	}
	pushed, err := waitDump(ctx, clientAdmin, "the new endpoint "+ep+" at the client proxy", pushTimeout, func(d *proxyDump) bool {
		h, ok := d.endpoint(ep)
		return ok && h != "DRAINING"
	})
	if err != nil {
		return "", fmt.Errorf("restart app: %w", err)
	}
	if err := t.editMesh(func(m *meshconfig.Mesh) error {
		svc, err := serviceWith(m, oldEP)
		if err != nil {
			return err
		}
		for i := range svc.Endpoints {
			if svc.Endpoints[i].Address == oldEP {
				svc.Endpoints[i].Draining = true
			}
		}
		return nil
	}); err != nil {
		return "", fmt.Errorf("restart app: %w", err)
	}
	drained, err := waitDump(ctx, clientAdmin, "the old endpoint "+oldEP+" draining at the client proxy", pushTimeout, func(d *proxyDump) bool {
		h, _ := d.endpoint(oldEP)
		return h == "DRAINING"
	})
	if err != nil {
		return "", fmt.Errorf("restart app: %w", err)
	}

	// The new instances take over the component names; the old ones leave
	// the process list (they are stopped on purpose) but stay tracked by
	// the platform until they are gone, so an interrupt stops them.
	r := &rollout{oldEP: oldEP, at: time.Now(), quit: make(chan struct{}), done: make(chan struct{})}
	var newPIDs []string
	t.mu.Lock()
	renames := map[string]string{appName: results.RoleApp}
	if both {
		renames[proxyName] = results.RoleServerProxy
	}
	var keep []*process
	for _, pr := range t.procs {
		if pr.name == results.RoleApp || (both && pr.name == results.RoleServerProxy) {
			r.old = append(r.old, pr)
			continue
		}
		keep = append(keep, pr)
	}
	// The server proxy first: it stops taking requests before its app goes.
	if len(r.old) == 2 && r.old[0].name == results.RoleApp {
		r.old[0], r.old[1] = r.old[1], r.old[0]
	}
	for _, pr := range keep {
		if to, ok := renames[pr.name]; ok {
			newPIDs = append(newPIDs, fmt.Sprintf("%s pid %d", pr.name, pr.pid()))
			pr.name = to
		}
	}
	t.procs = keep
	t.addrs[results.RoleApp] = app
	if both {
		t.addrs[results.RoleServerProxy] = ep
		t.admins[results.RoleServerProxy] = t.admins[proxyName]
		delete(t.admins, proxyName)
	}
	t.restart = r
	t.mu.Unlock()
	var oldPIDs []string
	for _, pr := range r.old {
		oldPIDs = append(oldPIDs, fmt.Sprintf("%s pid %d", pr.name, pr.pid()))
	}
	go t.retire(r)
	return fmt.Sprintf("%s (endpoint %s) ready after %s, at the client proxy %s later; old endpoint %s DRAINING at the client proxy %s after that (%s: stopped after a %s drain, SIGKILL %s after SIGTERM)",
		strings.Join(newPIDs, ", "), ep, readyAfter.Round(time.Millisecond), pushed.Round(time.Millisecond), oldEP,
		drained.Round(time.Millisecond), strings.Join(oldPIDs, ", "), drainGrace, stopGrace), nil
}

// startServerProxy starts a server proxy for app as mesh node id: first
// its node in the mesh file (meshcontrol configures only the nodes it
// knows), then the process, waited until its inbound listener is
// configured. It returns the listener's address.
func (t *topology) startServerProxy(ctx context.Context, id, app string) (string, error) {
	inbound, err := ports.Free()
	if err != nil {
		return "", err
	}
	if err := t.editMesh(func(m *meshconfig.Mesh) error {
		svc := platform.LaneService
		for _, p := range m.Proxies {
			if p.Inbound != nil && p.Service != "" {
				svc = p.Service
			}
		}
		m.Proxies = append(m.Proxies, meshconfig.Proxy{ID: id, Service: svc, Inbound: &meshconfig.Inbound{Address: inbound, App: app}})
		return nil
	}); err != nil {
		return "", err
	}
	s := side{Name: id, Role: results.RoleServerProxy, Inbound: true, Listen: inbound, Upstream: app}
	if err := meshStart(ctx, t, t.spec, s); err != nil {
		return "", fmt.Errorf("%s: %w", id, err)
	}
	t.mu.Lock()
	admin := t.admins[id]
	t.mu.Unlock()
	if _, err := waitDump(ctx, admin, id+"'s inbound listener "+inbound, pushTimeout, func(d *proxyDump) bool { return d.listens(inbound) }); err != nil {
		return "", err
	}
	return inbound, nil
}

// retire is step 4: the drain, the stop, the mesh file cleaned.
func (t *topology) retire(r *rollout) {
	defer close(r.done)
	select {
	case <-time.After(drainGrace):
	case <-r.quit: // Down: stop at once
	}
	var parts []string
	for _, pr := range r.old {
		began := time.Now()
		pr.stop(stopGrace)
		t.p.untrack(pr)
		parts = append(parts, fmt.Sprintf("%s pid %d exited %s after SIGTERM (%s)", pr.name, pr.pid(), time.Since(began).Round(time.Millisecond), exitStatus(pr)))
	}
	r.err = t.editMesh(func(m *meshconfig.Mesh) error {
		for i := range m.Services {
			m.Services[i].Endpoints = dropEndpoint(m.Services[i].Endpoints, r.oldEP)
		}
		var proxies []meshconfig.Proxy
		for _, p := range m.Proxies {
			if p.Inbound == nil || p.Inbound.Address != r.oldEP {
				proxies = append(proxies, p)
			}
		}
		m.Proxies = proxies
		return nil
	})
	r.detail = strings.Join(parts, "; ")
}

// Replaced implements resilience.Faultable: it waits until the old
// instances are gone and their endpoint is out of the mesh file.
func (t *topology) Replaced(ctx context.Context, name string) (string, error) {
	t.mu.Lock()
	r := t.restart
	reported := r != nil && r.reported
	if r != nil {
		r.reported = true
	}
	t.mu.Unlock()
	if r == nil || reported {
		return "", fmt.Errorf("restart %s: no instance was replaced", name)
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		return "", fmt.Errorf("restart %s: %w", name, ctx.Err())
	}
	if r.err != nil {
		return "", fmt.Errorf("restart %s: remove the old endpoint: %w", name, r.err)
	}
	return fmt.Sprintf("%s; the old endpoint out of the mesh file %s after it was seen draining; the old instance gone", r.detail, time.Since(r.at).Round(10*time.Millisecond)), nil
}

// endRestart stops a restart's old instances at once and waits for them
// (Down; an interrupted run).
func (t *topology) endRestart() {
	t.mu.Lock()
	r := t.restart
	t.mu.Unlock()
	if r == nil {
		return
	}
	select {
	case <-r.quit:
	default:
		close(r.quit)
	}
	<-r.done
}

// editMesh changes the mesh file's model and writes it atomically with
// the next revision (meshcontrol stamps it into its xDS versions).
func (t *topology) editMesh(edit func(*meshconfig.Mesh) error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.mesh.cfg
	if err := edit(m); err != nil {
		return err
	}
	m.Revision++
	return m.WriteFile(t.mesh.file)
}

// serviceWith is the mesh file's service with an endpoint at addr.
func serviceWith(m *meshconfig.Mesh, addr string) (*meshconfig.Service, error) {
	for i := range m.Services {
		for _, e := range m.Services[i].Endpoints {
			if e.Address == addr {
				return &m.Services[i], nil
			}
		}
	}
	return nil, fmt.Errorf("no service of the mesh file has the endpoint %s", addr)
}

func dropEndpoint(eps []meshconfig.Endpoint, addr string) []meshconfig.Endpoint {
	var out []meshconfig.Endpoint
	for _, e := range eps {
		if e.Address != addr {
			out = append(out, e)
		}
	}
	return out
}

func exitStatus(pr *process) string {
	if pr.err != nil {
		return pr.err.Error()
	}
	return "exit status 0"
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
