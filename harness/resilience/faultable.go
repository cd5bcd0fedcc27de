package resilience

import (
	"context"
	"errors"

	dto "github.com/prometheus/client_model/go"

	"github.com/meshbench/meshbench/harness/platform"
)

// Faultable is a running topology that faults can act on: the injectors
// of one platform. Run does the timing and the analysis; only this
// interface differs between platforms, with one implementation each: the
// local platform's topology acts on processes (SIGKILL, SIGSTOP, SIGUSR1),
// the kube platform's (and so kind's) on pods (deleted through the API
// server and created again).
//
// Lifecycle: a Faultable is usable from its topology's successful Up until
// its Down; Down ends every fault (a component killed and not yet restarted
// stays dead; the platform removes the rest). Run calls Supports for every
// fault of the scenario before the load starts, so a fault the platform
// cannot do ends the run as a failure before any load, never as a pass.
// Each fault is undone by the method that mirrors the one that applied it
// (Kill/Restart, Pause/Resume, Fail/Heal, Replace/Replaced).
//
// Thread-safety: Run calls the fault methods from one goroutine per fault
// while the load runs, concurrently for different faults; two faults never
// act on the same component at once (the scenario's timeline is checked for
// that at load). Supports, Alive, Addr, Casualties and Scrape may be called
// from any goroutine at any time. Implementations must be safe for that.
//
// Component names are the platform's: meshcontrol, app, server-proxy,
// client-proxy (ProcessName maps a fault's target to them). Each fault
// method returns what it acted on, for the fault timeline ("pid 4242",
// "pod app uid 1b2c...").
type Faultable interface {
	platform.Topology
	// Supports is nil when the platform can apply a fault of kind on
	// target in this topology, else an error that says why not
	// (ErrUnsupported wrapped: "unsupported on kind: ...").
	Supports(kind, target string) error
	// Kill ends a component abruptly (SIGKILL; on Kubernetes its pod
	// deleted) and returns once it is gone.
	Kill(ctx context.Context, name string) (string, error)
	// Restart brings a killed component back with its command line or pod
	// spec and returns once it is ready.
	Restart(ctx context.Context, name string) (string, error)
	// Pause freezes a component (it holds its connections and answers
	// nothing); Resume lets it go on.
	Pause(ctx context.Context, name string) (string, error)
	Resume(ctx context.Context, name string) (string, error)
	// Fail makes an app replica answer every request with the status it
	// was started with (meshbench echo --fail-status); Heal undoes it.
	Fail(ctx context.Context, name string) (string, error)
	Heal(ctx context.Context, name string) (string, error)
	// Replace restarts a component gracefully, as a rolling update does:
	// a new instance is started beside the old one and Replace waits until
	// it is ready, then asks the old one to stop gracefully (it finishes
	// what it serves while the mesh drains it) and returns. Replaced waits
	// until the old one is gone.
	Replace(ctx context.Context, name string) (string, error)
	Replaced(ctx context.Context, name string) (string, error)
	// Alive reports whether the component is up (its process running; its
	// pod existing, not terminating).
	Alive(name string) bool
	// Addr is where a component listens, reachable from the harness (the
	// target of a flood or slow-loris fault).
	Addr(name string) (string, error)
	// Casualties are the measured components (probe names) that a Kill of
	// name takes down with it: they are not measured in that run.
	Casualties(name string) []string
	// Scrape reads a component's Prometheus metrics (meshcontrol's CA
	// counter for a rotate fault).
	Scrape(ctx context.Context, name string) (map[string]*dto.MetricFamily, error)
}

// ErrUnsupported marks a fault a platform cannot apply; the run fails with
// it, before any load.
var ErrUnsupported = errors.New("unsupported")

// Owner is implemented by topologies whose flood or slow-loris target is
// not on loopback (a kind node's NodePort): it vouches that addr belongs
// to a container the harness created. Attacks go to loopback and to
// addresses an Owner vouches for, nowhere else.
type Owner interface {
	OwnsAddr(addr string) bool
}
