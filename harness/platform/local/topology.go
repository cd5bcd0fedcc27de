package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/ports"
)

const readyTimeout = 15 * time.Second

// topology is one lane's set of local processes.
type topology struct {
	p    *Platform
	spec platform.Spec
	// mu guards procs, addrs, admins, the mesh file's model and restart:
	// a fault swaps a component's process while the load and the other
	// faults read them.
	mu       sync.Mutex
	procs    []*process
	loadgens []*load.Client // one per load client (load.clients)
	target   string         // URL the load client requests
	features *results.MeshFeatures
	workDir  string
	mesh     *meshLane // the lane's meshcontrol, when the mesh runs on xDS
	// graphApps maps each service of a graph lane to its app's address.
	graphApps map[string]string
	// hops says where the graph's sidecars record each edge (mesh lane).
	hops *platform.HopMetrics
	// addrs maps a sidecar lane's app and proxies to where they listen
	// (resilience faults aim floods at them).
	addrs map[string]string
	// admins maps the mesh lane's proxies to their admin listeners
	// (/metrics: a resilience run reads the retrying proxy's counters).
	admins map[string]string
	// replicas are the addresses of the app's replicas beyond the first
	// (platform.MeshOptions.AppReplicas).
	replicas []string
	// restart is the graceful restart under way or done (restart.go).
	restart *rollout
	// rollouts counts graceful restarts, naming each new instance.
	rollouts int
}

// current is a copy of the topology's process list.
func (t *topology) current() []*process {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*process(nil), t.procs...)
}

// run starts a component, tracks it, and waits until readyURL answers 200.
func (t *topology) run(ctx context.Context, name, role, bin string, args []string, env []string, readyURL string) (*process, error) {
	bin, args = pin(t.spec.Mesh.Pinning, role, bin, args)
	pr, err := start(t.p.log, name, role, bin, args, env)
	if err != nil {
		return nil, err
	}
	pr.ready = readyURL
	t.p.track(pr)
	t.mu.Lock()
	t.procs = append(t.procs, pr)
	t.mu.Unlock()
	if readyURL != "" {
		if err := waitReady(ctx, pr, readyURL, readyTimeout); err != nil {
			return nil, err
		}
	}
	return pr, nil
}

// startLoadgen starts the topology's load client processes: one, or
// spec.LoadClients ("loadgen-0", "loadgen-1", ...).
func (t *topology) startLoadgen(ctx context.Context) error {
	n := max(t.spec.LoadClients, 1)
	for i := range n {
		addr, err := ports.Free()
		if err != nil {
			return err
		}
		name := "loadgen"
		if n > 1 {
			name = fmt.Sprintf("loadgen-%d", i)
		}
		if _, err := t.run(ctx, name, results.RoleLoadgen, t.p.bins.Meshbench,
			[]string{"loadgen", "--listen", addr}, nil, "http://"+addr+"/ready"); err != nil {
			return err
		}
		t.loadgens = append(t.loadgens, &load.Client{Base: "http://" + addr})
	}
	return nil
}

// LoadClients implements platform.LoadClienter.
func (t *topology) LoadClients() int { return len(t.loadgens) }

// runLoad runs one phase on every load client at once (load.RunSplit).
func (t *topology) runLoad(ctx context.Context, o load.Options) (*load.Report, error) {
	return load.RunSplit(ctx, o, t.loadgens)
}

// startApp starts the app for the case's protocol (fortio's echo, gRPC
// ping or TCP echo) and returns its address.
func (t *topology) startApp(ctx context.Context) (string, error) {
	return t.startAppNamed(ctx, "app")
}

// appArgs is the app's command line. http1 and h2 are what `meshbench echo`
// serves by default (both at once), so --protocol is passed only for the
// others: a gate runs the base's app, and one built before --protocol
// existed still starts.
func appArgs(addr, proto string, failStatus int) []string {
	args := []string{"echo", "--listen", addr}
	if !load.HTTPEcho(proto) {
		args = append(args, "--protocol", proto)
	}
	if failStatus != 0 {
		args = append(args, "--fail-status", strconv.Itoa(failStatus))
	}
	return args
}

// startAppNamed starts one replica of the app as component name.
func (t *topology) startAppNamed(ctx context.Context, name string) (string, error) {
	addr, err := ports.Free()
	if err != nil {
		return "", err
	}
	proto := t.spec.Case.Protocol
	ready := "http://" + addr + "/"
	if !load.HTTPEcho(proto) {
		ready = "tcp://" + addr // not HTTP/1.1: a connection it accepts is the probe
	}
	args := appArgs(addr, proto, t.spec.Mesh.AppFailStatus)
	_, err = t.run(ctx, name, results.RoleApp, t.p.bins.Meshbench, args, nil, ready)
	return addr, err
}

// dir returns a per-topology directory for generated config files.
func (t *topology) dir() (string, error) {
	if t.workDir != "" {
		return t.workDir, nil
	}
	if t.p.workDir != "" {
		if err := os.MkdirAll(t.p.workDir, 0o755); err != nil {
			return "", fmt.Errorf("work directory: %w", err)
		}
	}
	d, err := os.MkdirTemp(t.p.workDir, "lane-"+t.spec.Lane+"-")
	if err != nil {
		return "", fmt.Errorf("work directory: %w", err)
	}
	// Children get absolute paths only (see WithWorkDir).
	if d, err = filepath.Abs(d); err != nil {
		return "", fmt.Errorf("work directory: %w", err)
	}
	t.workDir = d
	return d, nil
}

// Load implements platform.Topology.
func (t *topology) Load(ctx context.Context, o load.Options) (*load.Report, error) {
	for _, pr := range t.current() {
		if err := pr.exited(); err != nil {
			return nil, err
		}
	}
	o.URL = t.target
	rep, err := t.runLoad(ctx, o)
	// A component that died during the load makes the phase a failure
	// naming it, not a run of failed requests. (A graceful restart takes
	// the instances it stops out of procs before it stops them.)
	for _, pr := range t.current() {
		if exitErr := pr.exited(); exitErr != nil {
			return nil, exitErr
		}
	}
	return rep, err
}

// Probes implements platform.Topology.
func (t *topology) Probes() []measure.Probe {
	procs := t.current()
	out := make([]measure.Probe, 0, len(procs))
	var opts []measure.ProbeOption
	if t.p.cgroupRoot != "" {
		opts = append(opts, measure.WithCgroupRoot(t.p.cgroupRoot))
	}
	for _, pr := range procs {
		out = append(out, measure.NewProcProbe(pr.name, pr.role, pr.pid(), opts...))
	}
	return out
}

// Features implements platform.Topology.
func (t *topology) Features() *results.MeshFeatures { return t.features }

// Down implements platform.Topology: stops processes in reverse start
// order, and the old instances of a graceful restart still draining.
func (t *topology) Down(context.Context) error {
	t.endRestart()
	t.mu.Lock()
	procs := t.procs
	t.procs = nil
	t.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop(3 * time.Second)
		t.p.untrack(procs[i])
	}
	if t.workDir != "" {
		_ = os.RemoveAll(t.workDir)
	}
	return nil
}

// gomaxprocsEnv returns the environment that sets a proxy's worker count.
func gomaxprocsEnv(workers int) []string {
	if workers <= 0 {
		return nil
	}
	return []string{"GOMAXPROCS=" + strconv.Itoa(workers)}
}

func urlFor(addr string) string { return fmt.Sprintf("http://%s/echo", addr) }
