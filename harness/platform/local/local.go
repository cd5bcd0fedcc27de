package local

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/meshbench/meshbench/harness/platform"
)

// Platform runs lanes as local processes.
type Platform struct {
	bins    platform.Binaries
	log     *slog.Logger
	workDir string
	// cgroupRoot, when set, is where components' cgroups are made instead
	// of measure.DefaultCgroupRoot (a test nests them in a cgroup of its
	// own to check them against the whole process tree).
	cgroupRoot string

	mu    sync.Mutex
	procs []*process // every process ever started and not yet stopped
	// tlsByBin: does this meshcontrol binary have --tls (controlTLS).
	tlsByBin map[string]bool
	// hopLog makes every reference proxy log each request's hop (its
	// listener, upstream and TLS peer). Only tests set it, to check a lane's
	// path: a benchmark never logs in them, as meshcontrol configures no
	// access log for meshproxy, so the lanes' costs compare.
	hopLog bool
}

// Option configures a Platform.
type Option func(*Platform)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(p *Platform) { p.log = l } }

// WithWorkDir sets where lanes write generated config files. A relative
// dir is made absolute here, once: every path a lane hands to a child
// process must be absolute, because children resolve relative paths against
// their own notion of a base (nginx against its -p prefix, which joined the
// relative directory twice).
func WithWorkDir(dir string) Option {
	return func(p *Platform) {
		if dir != "" {
			if abs, err := filepath.Abs(dir); err == nil {
				dir = abs
			}
		}
		p.workDir = dir
	}
}

// WithCgroupRoot makes each component's cgroup under root (a cgroup v2
// directory, or a mount point) instead of /sys/fs/cgroup; "" keeps the
// default.
func WithCgroupRoot(root string) Option { return func(p *Platform) { p.cgroupRoot = root } }

// New returns a local platform running the given binaries.
func New(bins platform.Binaries, opts ...Option) *Platform {
	p := &Platform{bins: absBinaries(bins), log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(p)
	}
	return p
}

// absBinaries makes every binary path absolute (see WithWorkDir).
func absBinaries(b platform.Binaries) platform.Binaries {
	for _, p := range []*string{&b.Meshbench, &b.Meshproxy, &b.Meshcontrol} {
		if *p == "" {
			continue
		}
		if abs, err := filepath.Abs(*p); err == nil {
			*p = abs
		}
	}
	return b
}

// Name implements platform.Platform.
func (p *Platform) Name() string { return "local" }

// lanes maps a lane name to the function that starts its topology. Each
// lane lives in its own file.
func (p *Platform) lanes() map[string]laneStarter {
	return map[string]laneStarter{
		platform.LaneNone:     startNone,
		platform.LaneMesh:     meshLaneStarter(),
		platform.LaneHTTPUtil: sidecarLane(httputilSidecar),
		platform.LaneHAProxy:  sidecarLane(haproxySidecar),
		platform.LaneNginx:    sidecarLane(nginxSidecar),
	}
}

// laneStarter adds a lane's components to t and sets t's target.
type laneStarter func(ctx context.Context, t *topology, spec platform.Spec) error

// Up implements platform.Platform.
func (p *Platform) Up(ctx context.Context, spec platform.Spec) (platform.Topology, error) {
	startLane, ok := p.lanes()[spec.Lane]
	if spec.Graph != nil {
		startLane, ok = startGraph, true
	}
	if !ok {
		return nil, fmt.Errorf("lane %q is not available on the local platform (istio and linkerd are installed on kind and kube clusters only): %w", spec.Lane, platform.ErrLaneUnavailable)
	}
	t := &topology{p: p, spec: spec}
	if err := t.startLoadgen(ctx); err != nil {
		t.Down(ctx)
		return nil, err
	}
	if err := startLane(ctx, t, spec); err != nil {
		t.Down(ctx)
		return nil, fmt.Errorf("lane %s: %w", spec.Lane, err)
	}
	return t, nil
}

// track remembers a process so Close can stop it.
func (p *Platform) track(pr *process) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.procs = append(p.procs, pr)
}

func (p *Platform) untrack(pr *process) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, q := range p.procs {
		if q == pr {
			p.procs = append(p.procs[:i], p.procs[i+1:]...)
			return
		}
	}
}

// Close implements platform.Platform: it stops every process still running.
func (p *Platform) Close(context.Context) error {
	p.mu.Lock()
	procs := append([]*process(nil), p.procs...)
	p.procs = nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, pr := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); pr.stop(3 * time.Second) }()
	}
	wg.Wait()
	return nil
}
