package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/await"
	"github.com/meshbench/meshbench/mesh-under-test/xds"
)

// Options are the run's surroundings, filled by `meshbench run`.
type Options struct {
	// Meshcontrol is the meshcontrol binary to measure (required when the
	// scenario names meshcontrol).
	Meshcontrol string
	// Istiod is Istio's pilot-discovery binary (`make istiod`); when empty
	// or absent, istiod's results say it is unavailable, with no numbers.
	Istiod string
	// WorkDir receives the mesh files and the control planes' logs
	// (default: a temporary directory, removed afterwards).
	WorkDir     string
	Scenario    string
	Platform    string // default "local"
	Seed        int64
	Repetition  int
	Order       int // Order of the first result; each size adds one
	Environment results.Environment
	Labels      map[string]string
	Logger      *slog.Logger
}

// Run measures every size of spec in turn, each control plane of
// spec.ControlPlanes at each size, and returns one result per size and
// control plane.
func Run(ctx context.Context, spec Spec, opts Options) ([]*results.Result, error) {
	spec.Normalize()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if slices.Contains(spec.ControlPlanes, PlaneMeshcontrol) && opts.Meshcontrol == "" {
		return nil, errors.New("controlplane: the meshcontrol binary is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Platform == "" {
		opts.Platform = "local"
	}
	if opts.WorkDir == "" {
		dir, err := os.MkdirTemp("", "meshbench-controlplane-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		opts.WorkDir = dir
	}
	var out []*results.Result
	for _, size := range spec.Sizes {
		for _, name := range spec.ControlPlanes {
			def := findPlane(name)
			r, err := runPlane(ctx, spec, size, def, opts, opts.Order+len(out))
			if err != nil {
				return out, fmt.Errorf("controlplane %s %s: %w", name, size.Name(), err)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// unavailable is the result of a control plane that could not run: the
// reason, and no measurements.
func unavailable(spec Spec, size Size, def *planeDef, opts Options, order int, why string) *results.Result {
	return &results.Result{
		Schema: results.Schema, Scenario: opts.Scenario, ScenarioKind: "controlplane", Platform: opts.Platform,
		Lane: def.lane, Case: results.Case{Name: size.Name(), QPS: spec.ChurnRate, Protocol: results.ProtocolGRPC},
		Repetition: opts.Repetition, Order: order, Seed: opts.Seed, Started: time.Now(), TargetQPS: spec.ChurnRate,
		ControlPlane: &results.ControlPlane{Name: def.name, Unavailable: why,
			Services: size.Services, EndpointsPerSvc: size.Endpoints, Proxies: size.Proxies, Changes: spec.Changes},
		Environment: opts.Environment, Labels: maps.Clone(opts.Labels),
		InvalidReasons: []string{why},
	}
}

func runPlane(ctx context.Context, spec Spec, size Size, def *planeDef, opts Options, order int) (*results.Result, error) {
	log := opts.Logger.With("size", size.Name(), "control_plane", def.name)
	bin, why := def.binary(opts)
	if why != "" {
		log.Warn("control plane unavailable", "reason", why)
		return unavailable(spec, size, def, opts, order, why), nil
	}
	// Every control plane gets the same mesh and the same churn: the
	// topology and its changes come from the seed alone.
	topo := newTopology(size, spec.EgressPerProxy, opts.Seed)
	tr := newTracker(size.Proxies)
	cp, err := def.start(ctx, planeInput{bin: bin, spec: spec, size: size, topo: topo, dir: opts.WorkDir, tr: tr, log: log})
	if err != nil {
		return nil, err
	}
	defer cp.stop()

	// The simulated fleet: one real ADS client per proxy.
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	connectStart := time.Now()
	for i := range size.Proxies {
		o, a, err := cp.client(i)
		if err != nil {
			return nil, err
		}
		c := xds.New(o)
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Run(cctx, a) }()
	}
	err = await.Until(ctx, fmt.Sprintf("the initial push to %d proxies", size.Proxies), 10*time.Millisecond, spec.ConnectTimeout.Duration,
		func(context.Context) (bool, string, error) {
			return cp.connected(), fmt.Sprintf("%d of %d proxies ACKed a configuration", tr.proxiesAcked(), size.Proxies), nil
		})
	if err != nil {
		return nil, err
	}
	initial := time.Since(connectStart)
	log.Info("fleet connected", "initial_push", initial)

	before, err := cp.counters()
	if err != nil {
		return nil, err
	}
	clientBytes0, clientPushes0, nacks0 := tr.bytes.Load(), tr.pushes.Load(), tr.nacks.Load()
	// The simulated fleet runs in this process; its cost is recorded too
	// (as the load generator), since on a small machine it competes with
	// meshcontrol for the same cores.
	win, err := measure.Start(ctx, []measure.Probe{
		measure.NewProcProbe(def.name, results.RoleControlPlane, cp.pid()),
		measure.NewProcProbe("xds-fleet", results.RoleLoadgen, os.Getpid()),
	}, 100*time.Millisecond)
	if err != nil {
		return nil, err
	}
	started := time.Now()
	interval := time.Duration(float64(time.Second) / spec.ChurnRate)
	var maxLag time.Duration
	var lastWrite time.Time
	for k := range spec.Changes {
		due := started.Add(time.Duration(k) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		c := topo.mutate(spec.PolicyEditPercent)
		c.key = cp.key(c)
		c.at = time.Now()
		maxLag = max(maxLag, c.at.Sub(due))
		if err := cp.write(c); err != nil {
			return nil, err
		}
		tr.add(c)
		lastWrite = time.Now()
	}
	// The churn rate the driver achieved, like the load generator's QPS.
	achieved := float64(spec.Changes) / (lastWrite.Sub(started) + interval).Seconds()
	// A change still outstanding at the bound is counted below (the run's
	// errors and invalid reason), not an error of the run.
	_ = await.Until(ctx, "every change to converge", 10*time.Millisecond, spec.ChangeTimeout.Duration,
		func(context.Context) (bool, string, error) {
			n := tr.outstanding()
			return n == 0, fmt.Sprintf("%d changes outstanding", n), nil
		})
	elapsed := time.Since(started)
	comps, err := win.Finish(ctx, int64(spec.Changes), elapsed.Seconds())
	if err != nil {
		return nil, err
	}
	after, err := cp.counters()
	if err != nil {
		return nil, err
	}

	tr.mu.Lock()
	samples := append([]time.Duration(nil), tr.samples...)
	unconverged := len(tr.open)
	tr.mu.Unlock()
	// NACKs the control plane counted, or the fleet sent (istiod counts
	// only some kinds of rejection).
	nacks := max(after.nacks-before.nacks, tr.nacks.Load()-nacks0)
	r := &results.Result{
		Schema: results.Schema, Scenario: opts.Scenario, ScenarioKind: "controlplane", Platform: opts.Platform,
		Lane: def.lane, Case: results.Case{Name: size.Name(), QPS: spec.ChurnRate, Protocol: results.ProtocolGRPC},
		Repetition: opts.Repetition, Order: order, Seed: opts.Seed, Started: started, DurationS: elapsed.Seconds(),
		Requests: int64(len(samples)), Errors: int64(unconverged), TargetQPS: spec.ChurnRate,
		AchievedQPS: achieved,
		Components:  comps,
		Mesh:        &results.MeshFeatures{Proxy: "xds-client-sim", XDS: true, Extra: map[string]string{"egress_per_proxy": strconv.Itoa(spec.EgressPerProxy), "control_plane": def.name, "ads_transport": cp.transport()}},
		ControlPlane: &results.ControlPlane{
			Name:     def.name,
			Services: size.Services, EndpointsPerSvc: size.Endpoints, Proxies: size.Proxies, Changes: spec.Changes,
			ConvergenceMs: percentiles(samples),
			Pushes:        after.pushes - before.pushes,
			BytesPushed:   after.bytes - before.bytes,
			Nacks:         nacks,
		},
		Environment: opts.Environment,
		Labels: map[string]string{
			"initial_push_ms":  strconv.FormatInt(initial.Milliseconds(), 10),
			"client_bytes":     strconv.FormatInt(tr.bytes.Load()-clientBytes0, 10),
			"client_responses": strconv.FormatInt(tr.pushes.Load()-clientPushes0, 10),
		},
		Valid: true,
	}
	maps.Copy(r.Labels, after.labels)
	maps.Copy(r.Labels, opts.Labels)
	if len(spec.MeshcontrolEnv) > 0 && def.name == PlaneMeshcontrol {
		r.Labels["meshcontrol_env"] = strings.Join(spec.MeshcontrolEnv, " ")
	}
	if len(spec.IstiodEnv) > 0 && def.name == PlaneIstiod {
		r.Labels["istiod_env"] = strings.Join(spec.IstiodEnv, " ")
	}
	if unconverged > 0 {
		r.Valid = false
		r.InvalidReasons = append(r.InvalidReasons, fmt.Sprintf("%d of %d changes did not converge within %s", unconverged, spec.Changes, spec.ChangeTimeout.Duration))
	}
	if nacks > 0 {
		r.Valid = false
		r.InvalidReasons = append(r.InvalidReasons, fmt.Sprintf("%d NACKs", nacks))
	}
	r.Labels["churn_max_lag_ms"] = strconv.FormatInt(maxLag.Milliseconds(), 10)
	if achieved < 0.9*spec.ChurnRate {
		r.InvalidReasons = append(r.InvalidReasons, fmt.Sprintf("driver fell behind: %.2f of %.2f changes/s", achieved, spec.ChurnRate))
		r.Valid = false
	}
	log.Info("size done", "p50_ms", r.ControlPlane.ConvergenceMs.P50, "p99_ms", r.ControlPlane.ConvergenceMs.P99, "unconverged", unconverged)
	return r, nil
}
