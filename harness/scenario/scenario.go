package scenario

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/meshbench/meshbench/harness/graph"
)

// Kinds of scenario.
const (
	KindMicro        = "micro"
	KindSynthetic    = "synthetic"
	KindApp          = "app"
	KindControlPlane = "controlplane"
	KindResilience   = "resilience"
)

// Scenario is one scenario file.
type Scenario struct {
	Name        string `yaml:"name"`
	Kind        string `yaml:"kind"`
	Description string `yaml:"description"`
	// Lanes are lane[/mode] labels of the lane catalog (results.Lanes,
	// results.LaneLabels): "none", "mesh" (= "mesh/both"), "mesh/clientonly".
	Lanes       []string `yaml:"lanes"`
	Repetitions int      `yaml:"repetitions"`
	Seed        int64    `yaml:"seed"`
	Warmup      Duration `yaml:"warmup"`
	Duration    Duration `yaml:"duration"`
	Matrix      Matrix   `yaml:"matrix"`
	Mesh        Mesh     `yaml:"mesh"`
	Load        LoadSpec `yaml:"load"`
	// Profiles rescale durations by name (e.g. --profile short).
	Profiles map[string]Profile `yaml:"profiles"`
	// Gate holds the regression gate's settings for this scenario, kept
	// free-form for the gate (whose package owns the fields); Load checks
	// it strictly as verdict.Thresholds.
	Gate map[string]any `yaml:"gate"`
	// ControlPlane is the spec of a controlplane scenario, decoded by the
	// control-plane driver; Load checks it strictly as controlplane.Spec.
	ControlPlane map[string]any `yaml:"controlplane"`
	// Graph is the service graph of an app scenario.
	Graph *graph.Graph `yaml:"graph"`
	// Micro is the spec of a micro scenario, decoded by the gate's micro
	// runner; Load checks it strictly as micro.Spec.
	Micro map[string]any `yaml:"micro"`
	// Resilience is the fault timeline and pass criteria of a resilience
	// scenario, run by harness/resilience; Load checks it strictly as
	// resilience.Spec.
	Resilience map[string]any `yaml:"resilience"`

	// File is where the scenario was loaded from (not in YAML).
	File string `yaml:"-"`
}

// Matrix is the set of values whose cartesian product makes the cases.
type Matrix struct {
	QPS          []float64 `yaml:"qps"` // -1 means max QPS
	Connections  []int     `yaml:"connections"`
	PayloadBytes []int     `yaml:"payload_bytes"`
	Protocol     []string  `yaml:"protocol"`
	MTLS         []bool    `yaml:"mtls"`
	// Telemetry lists telemetry variants (results.TelemetryVariants) the
	// mesh lanes run in, interleaved within each repetition; lanes without
	// the mesh's proxies run once per case, as the floor.
	Telemetry []string `yaml:"telemetry"`
}

// Mesh options for the data path.
type Mesh struct {
	Workers   int   `yaml:"workers"`   // GOMAXPROCS per proxy; 0 = runtime default
	Telemetry *bool `yaml:"telemetry"` // default true
	// Pinning: none (default) or split (load client and app on CPU 0,
	// proxies and control plane on the others).
	Pinning string `yaml:"pinning"`
}

// LoadSpec is how the load is generated.
type LoadSpec struct {
	// Clients is the number of load client processes (default 1). They run
	// each case together, open loop, each at the case's rate in proportion
	// to its share of the connections (rate/N when N divides them), and
	// their reports merge exactly (load.Merge).
	Clients int `yaml:"clients"`
	// Wire records each run's latency on the loopback wire beside the
	// client's (results' latency_wire_ms): local platform, Linux, root,
	// http1 or tcp cases, one load client; otherwise the result says why it
	// is absent.
	Wire bool `yaml:"wire"`
}

// MaxLoadClients bounds load.clients.
const MaxLoadClients = 64

// Profile overrides durations and repetitions.
type Profile struct {
	Warmup      Duration `yaml:"warmup"`
	Duration    Duration `yaml:"duration"`
	Repetitions int      `yaml:"repetitions"`
}

// Duration is a time.Duration written as "10s" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML parses Go duration syntax.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return &Error{Line: n.Line, Msg: fmt.Sprintf("invalid duration %q (want Go syntax, e.g. 10s or 1m30s)", n.Value)}
	}
	if v < 0 {
		return &Error{Line: n.Line, Msg: fmt.Sprintf("duration %q %v", n.Value, errNegative)}
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes Go duration syntax.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// TelemetryOn reports whether proxy metrics are on (default true).
func (m Mesh) TelemetryOn() bool { return m.Telemetry == nil || *m.Telemetry }
