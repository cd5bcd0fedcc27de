package platform

import (
	"context"
	"errors"

	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// Lanes and modes: names from the lane catalog (results.Lanes), repeated
// here for the platforms' convenience.
const (
	LaneNone     = results.LaneNone
	LaneMesh     = results.LaneMesh
	LaneHAProxy  = results.LaneHAProxy
	LaneNginx    = results.LaneNginx
	LaneHTTPUtil = results.LaneHTTPUtil

	ModeBoth        = results.ModeBoth
	ModeClientOnly  = results.ModeClientOnly
	ModeServerOnly  = results.ModeServerOnly
	ModeIngress     = results.ModeIngress
	ModeIngressBoth = results.ModeIngressBoth
)

// Spec is what a platform must bring up for one run.
type Spec struct {
	Lane string
	Mode string // empty for LaneNone
	Case results.Case
	Mesh MeshOptions
	// Graph, when set, replaces the single app with a service graph (app
	// scenarios); lanes that cannot run one return ErrLaneUnavailable.
	Graph *graph.Graph
	// LoadClients is how many load client processes drive each case
	// together (0 or 1: one). A topology that runs several says so through
	// LoadClienter; one that does not runs one.
	LoadClients int
}

// LoadClienter is implemented by topologies that report how many load
// clients they run (the result records it).
type LoadClienter interface {
	LoadClients() int
}

// LoadClientPlacer is implemented by topologies whose load clients run on
// nodes of a cluster: the node of each, in load client order (the result
// records the placement).
type LoadClientPlacer interface {
	LoadClientNodes() []string
}

// MeshOptions are the knobs of the data path that a result records.
type MeshOptions struct {
	// Workers is GOMAXPROCS (or worker threads) per proxy; 0 keeps the default.
	Workers int
	// Telemetry switches the proxies' per-request metrics on (off:
	// meshproxy --request-metrics=false).
	Telemetry bool
	// AccessLogPercent, when > 0, has every proxy access-log that share of
	// requests (the mesh's telemetry.accessLogging).
	AccessLogPercent float64
	// Tracing, when set, has every proxy export spans to a collector (the
	// mesh's telemetry.tracing). Only the local platform's mesh reaches a
	// collector on the harness's loopback; others refuse it.
	Tracing *Tracing
	// Pinning places components on CPUs: PinNone, or PinSplit (load client
	// and app on the first CPU, proxies and control plane on the rest).
	Pinning string
	// ProxyArgs are extra arguments for every meshproxy (the gate uses them
	// for injected regressions).
	ProxyArgs []string
	// Policy, when set, is added to the lane's mesh policy (resilience
	// scenarios: fault injection on the lane's route); platforms without
	// a control plane ignore it. It names the lane's service LaneService;
	// a platform whose mesh calls the service otherwise renames it.
	Policy *meshconfig.Policy
	// AppReplicas, when > 1, runs that many replicas of the app (app,
	// app-2, app-3, ...) as endpoints of one service, balanced by the
	// client proxy (resilience: one failing endpoint of three). Only the
	// mesh lane in mode clientonly can; others return an error.
	AppReplicas int
	// AppFailStatus, when set, is the status an app answers while a fault
	// makes it fail (meshbench echo --fail-status).
	AppFailStatus int
	// SidecarRestart puts the server sidecar under a supervisor that
	// restarts it when its process dies (a resilience scenario that kills
	// it): on Kubernetes the app pod's restartPolicy Always, a
	// Deployment's, so the kubelet restarts the killed container. Without
	// it the harness's pods restart nothing, so that a component crashing
	// mid-run fails the run instead of coming back unnoticed. The local
	// platform restarts a killed process itself, at the fault's end.
	SidecarRestart bool
	// AppGracefulStop has the app stop gracefully when it is asked to (a
	// resilience scenario that restarts it gracefully): on Kubernetes its
	// pod gets a preStop hook that keeps its containers serving for a few
	// seconds once its deletion begins (terminating but serving, so the
	// mesh drains it), within a longer termination grace period.
	AppGracefulStop bool
}

// MeshproxyArgs are the meshproxy flags every platform passes for o:
// per-request metrics off when the scenario turns telemetry off, then the
// user's --proxy-arg last, so they win.
func (o MeshOptions) MeshproxyArgs() []string {
	var args []string
	if !o.Telemetry {
		args = append(args, "--request-metrics=false")
	}
	return append(args, o.ProxyArgs...)
}

// LaneService is the name MeshOptions.Policy gives the service a lane calls
// (the local platform's mesh name for the echo app).
const LaneService = "echo"

// CPU pinning policies.
const (
	PinNone  = "none"
	PinSplit = "split"
)

// Binaries are the executables a platform runs; the gate points them at the
// base or candidate build.
type Binaries struct {
	Meshbench   string // workloads: echo server, load client
	Meshproxy   string
	Meshcontrol string
}

// Platform brings topologies up and down. Implementations are safe for use
// by one goroutine at a time, except Close, which may be called from any
// goroutine (a signal handler) at any time and must stop everything the
// platform started.
type Platform interface {
	Name() string
	// Up starts the topology for spec and waits until it is ready. On error
	// it tears down whatever it had started.
	Up(ctx context.Context, spec Spec) (Topology, error)
	// Close tears down everything still running. Idempotent.
	Close(ctx context.Context) error
}

// Topology is one lane's running topology.
type Topology interface {
	// Load runs one load phase from the platform's load client against the
	// lane's entry point. The URL in opts is filled in by the topology.
	Load(ctx context.Context, opts load.Options) (*load.Report, error)
	// Probes returns one probe per measured component.
	Probes() []measure.Probe
	// Features describes what the data path had switched on.
	Features() *results.MeshFeatures
	// Down stops the topology. Idempotent.
	Down(ctx context.Context) error
}

// ErrLaneUnavailable marks a lane that cannot run here (its proxy is not
// installed, say); the runner skips the lane's runs with a message instead
// of failing.
var ErrLaneUnavailable = errors.New("lane unavailable on this platform")

// ComponentError is a component that could not do its job: it exited, or
// never became ready. The runner records it in the run's result (which
// component, its exit status, its last output).
type ComponentError struct {
	Component  string // e.g. client-proxy
	ExitStatus string // e.g. "exit status 1"; empty when it was still running
	LogTail    string // its last output
	Err        error  // what went wrong
}

func (e *ComponentError) Error() string {
	msg := e.Component + ": " + e.Err.Error()
	if e.LogTail != "" {
		msg += "; last output:\n" + e.LogTail
	}
	return msg
}

func (e *ComponentError) Unwrap() error { return e.Err }

// MeshProtocol maps a case's protocol (http1, h2, grpc, tcp) to the mesh's
// service protocol, for platforms that describe a lane to meshcontrol.
func MeshProtocol(caseProtocol string) string {
	switch caseProtocol {
	case results.ProtocolH2:
		return meshconfig.ProtocolHTTP2
	case results.ProtocolGRPC:
		return meshconfig.ProtocolGRPC
	case results.ProtocolTCP:
		return meshconfig.ProtocolTCP
	default:
		return meshconfig.ProtocolHTTP
	}
}

// Tracing is where the mesh's spans go and how many traces are sampled.
type Tracing struct {
	Collector       string // OTLP/gRPC host:port
	SamplingPercent float64
}
