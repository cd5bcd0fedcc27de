package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/mesh-under-test/xds"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// Options are the run's surroundings, filled by `meshbench run`.
type Options struct {
	// Meshcontrol is the meshcontrol binary to measure (required).
	Meshcontrol string
	// WorkDir receives the mesh files and meshcontrol logs (default: a
	// temporary directory, removed afterwards).
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

// Run measures every size of spec in turn and returns one result per size.
func Run(ctx context.Context, spec Spec, opts Options) ([]*results.Result, error) {
	spec.Normalize()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if opts.Meshcontrol == "" {
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
	for i, size := range spec.Sizes {
		r, err := runSize(ctx, spec, size, opts, opts.Order+i)
		if err != nil {
			return out, fmt.Errorf("controlplane %s: %w", size.Name(), err)
		}
		out = append(out, r)
	}
	return out, nil
}

type nopApplier struct{}

func (nopApplier) Apply(context.Context, xdsconfig.Resources) error { return nil }

func runSize(ctx context.Context, spec Spec, size Size, opts Options, order int) (*results.Result, error) {
	log := opts.Logger.With("size", size.Name())
	topo := newTopology(size, spec.EgressPerProxy, opts.Seed)
	// JSON (which is YAML) because re-encoding thousands of services as
	// YAML on every change would make the driver, not meshcontrol, the
	// bottleneck.
	path := filepath.Join(opts.WorkDir, "mesh-"+size.Name()+".json")
	if err := topo.mesh.WriteFile(path); err != nil {
		return nil, err
	}
	mc, err := startMeshcontrol(ctx, opts.Meshcontrol, path, opts.WorkDir, spec.MeshcontrolEnv, spec.ADSTransport)
	if err != nil {
		return nil, err
	}
	defer mc.stop()

	// The simulated fleet: one real ADS client per proxy.
	tr := newTracker(size.Proxies)
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	connectStart := time.Now()
	for i := range size.Proxies {
		dial, err := mc.dialOptions(proxyID(i))
		if err != nil {
			return nil, err
		}
		c := xds.New(xds.Options{Addr: mc.addr, NodeID: proxyID(i), DialOptions: dial, Observer: observer{tr, i}, BackoffMin: 50 * time.Millisecond, BackoffMax: time.Second})
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Run(cctx, nopApplier{}) }()
	}
	if err := waitFor(ctx, spec.ConnectTimeout.Duration, func() bool {
		return tr.minAcked(typeEndpoint) >= 1 && tr.minAcked(typeRoute) >= 1
	}); err != nil {
		return nil, fmt.Errorf("initial push to %d proxies: %w", size.Proxies, err)
	}
	initial := time.Since(connectStart)
	log.Info("fleet connected", "initial_push", initial)

	before, err := mc.scrape()
	if err != nil {
		return nil, err
	}
	clientBytes0, clientPushes0 := tr.bytes.Load(), tr.pushes.Load()
	// The simulated fleet runs in this process; its cost is recorded too
	// (as the load generator), since on a small machine it competes with
	// meshcontrol for the same cores.
	win, err := measure.Start(ctx, []measure.Probe{
		measure.NewProcProbe("meshcontrol", results.RoleControlPlane, mc.cmd.Process.Pid),
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
		c.at = time.Now()
		maxLag = max(maxLag, c.at.Sub(due))
		if err := topo.mesh.WriteFile(path); err != nil {
			return nil, err
		}
		tr.add(c)
		lastWrite = time.Now()
	}
	// The churn rate the driver achieved, like the load generator's QPS.
	achieved := float64(spec.Changes) / (lastWrite.Sub(started) + interval).Seconds()
	_ = waitFor(ctx, spec.ChangeTimeout.Duration, func() bool { return tr.outstanding() == 0 })
	elapsed := time.Since(started)
	comps, err := win.Finish(ctx, int64(spec.Changes), elapsed.Seconds())
	if err != nil {
		return nil, err
	}
	after, err := mc.scrape()
	if err != nil {
		return nil, err
	}

	tr.mu.Lock()
	samples := append([]time.Duration(nil), tr.samples...)
	unconverged := len(tr.open)
	tr.mu.Unlock()
	nacks := int64(sum(after, "meshcontrol_xds_nacks_total") - sum(before, "meshcontrol_xds_nacks_total"))
	r := &results.Result{
		Schema: results.Schema, Scenario: opts.Scenario, ScenarioKind: "controlplane", Platform: opts.Platform,
		Lane: "mesh", Case: results.Case{Name: size.Name(), QPS: spec.ChurnRate, Protocol: results.ProtocolGRPC},
		Repetition: opts.Repetition, Order: order, Seed: opts.Seed, Started: started, DurationS: elapsed.Seconds(),
		Requests: int64(len(samples)), Errors: int64(unconverged), TargetQPS: spec.ChurnRate,
		AchievedQPS: achieved,
		Components:  comps,
		Mesh:        &results.MeshFeatures{Proxy: "xds-client-sim", XDS: true, Extra: map[string]string{"egress_per_proxy": strconv.Itoa(spec.EgressPerProxy), "ads_transport": spec.ADSTransport}},
		ControlPlane: &results.ControlPlane{
			Services: size.Services, EndpointsPerSvc: size.Endpoints, Proxies: size.Proxies, Changes: spec.Changes,
			ConvergenceMs: percentiles(samples),
			Pushes:        int64(sum(after, "meshcontrol_xds_pushes_total") - sum(before, "meshcontrol_xds_pushes_total")),
			BytesPushed:   int64(sum(after, "meshcontrol_xds_push_bytes_total") - sum(before, "meshcontrol_xds_push_bytes_total")),
			Nacks:         nacks,
		},
		Environment: opts.Environment,
		Labels: map[string]string{
			"initial_push_ms":        strconv.FormatInt(initial.Milliseconds(), 10),
			"client_bytes":           strconv.FormatInt(tr.bytes.Load()-clientBytes0, 10),
			"client_responses":       strconv.FormatInt(tr.pushes.Load()-clientPushes0, 10),
			"cp_reported_p99_ms":     strconv.FormatFloat(quantile(after, "meshcontrol_convergence_quantile_seconds", 0.99)*1000, 'f', 1, 64),
			"cp_convergence_timeout": strconv.FormatFloat(sum(after, "meshcontrol_convergence_timeouts_total"), 'f', 0, 64),
		},
		Valid: true,
	}
	for k, v := range opts.Labels {
		r.Labels[k] = v
	}
	if len(spec.MeshcontrolEnv) > 0 {
		r.Labels["meshcontrol_env"] = strings.Join(spec.MeshcontrolEnv, " ")
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

// waitFor polls cond every 10ms until it holds or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not done after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
