package results

import "time"

// Schema identifies the version of the Result JSON layout and of what its
// numbers mean. v2 (docs/results.md): latency percentiles are exact (from
// every request, were read from fortio's buckets), latency_scheduled_ms
// counts the slots never sent during a stall, schedule is new, and a run is
// invalid only when the load client itself was starved.
const Schema = "meshbench.result/v2"

// SchemaV1 is the previous version, still read: its fields are a subset of
// v2's, but its percentiles are bucket interpolations and its scheduled
// latency leaves out never-sent slots.
const SchemaV1 = "meshbench.result/v1"

// SchemaPrefix starts the schema of every version of a result.
const SchemaPrefix = "meshbench.result/"

// Result is the record of one run: one case, in one lane, once.
// A JSON field added or changed here goes into schemas/result.schema.json
// too (the schemas package's tests compare the two).
type Result struct {
	Schema       string    `json:"schema"`
	Scenario     string    `json:"scenario"`
	ScenarioKind string    `json:"scenario_kind"`
	Platform     string    `json:"platform"`
	Lane         string    `json:"lane"`
	Mode         string    `json:"mode,omitempty"`
	Case         Case      `json:"case"`
	Repetition   int       `json:"repetition"`
	Order        int       `json:"order"` // position of this run in the interleaved plan
	Seed         int64     `json:"seed"`
	Started      time.Time `json:"started"`
	WarmupS      float64   `json:"warmup_s"`
	DurationS    float64   `json:"duration_s"` // measured window only
	// Labels carry free-form tags such as build=base|candidate or round=3.
	Labels map[string]string `json:"labels,omitempty"`

	Requests       int64            `json:"requests"`
	Errors         int64            `json:"errors"`
	ErrorsByStatus map[string]int64 `json:"errors_by_status,omitempty"`
	TargetQPS      float64          `json:"target_qps"` // -1 for max-QPS runs
	AchievedQPS    float64          `json:"achieved_qps"`
	// LoadClients is how many load client processes drove the run together
	// when more than one (their reports merged exactly); absent for one.
	LoadClients int `json:"load_clients,omitempty"`
	// LoadClientNodes are the cluster nodes the load clients ran on, in
	// load client order (kind and kube, with more than one load client).
	LoadClientNodes []string `json:"load_client_nodes,omitempty"`

	// Latency is measured from when fortio actually sent each request.
	Latency Percentiles `json:"latency_ms"`
	// LatencyScheduled is measured from when each request was scheduled to
	// start (wrk2's intended time): every slot of the schedule counts, also
	// those never sent while their connection was blocked; nil for max-QPS
	// runs.
	LatencyScheduled *Percentiles `json:"latency_scheduled_ms,omitempty"`
	// LatencyWire is the same requests' latency on the loopback wire (from
	// the request's first packet to the response's first packet, kernel
	// timestamps), when the scenario asked for it (load.wire) and the
	// platform allows; LatencyWireSkipped says why it is absent. Latency
	// minus LatencyWire is the load client's own overhead.
	LatencyWire        *Percentiles `json:"latency_wire_ms,omitempty"`
	LatencyWireSkipped string       `json:"latency_wire_skipped,omitempty"`
	// Schedule says how the load client kept its schedule; nil for max-QPS
	// runs and for results of schema v1.
	Schedule *Schedule `json:"schedule,omitempty"`
	// Histogram is fortio's histogram of service time, for plots and export;
	// the percentiles above are exact, not read from it.
	Histogram Histogram `json:"histogram"`

	Components   []Component   `json:"components"`
	Mesh         *MeshFeatures `json:"mesh,omitempty"`
	ControlPlane *ControlPlane `json:"control_plane,omitempty"`
	// Resilience is a resilience run's fault timeline, buckets and criteria.
	Resilience  *Resilience `json:"resilience,omitempty"`
	Environment Environment `json:"environment"`
	// GraphEdges are an app run's calls per service-graph edge, each beside
	// the count the topology predicts (over the whole run, warm-up included).
	GraphEdges []GraphEdge `json:"graph_edges,omitempty"`
	// Spans is what the harness's OTLP receiver saw when the mesh traced
	// (a tracing telemetry variant, or an app graph whose mesh traces).
	Spans *SpanCheck `json:"spans,omitempty"`

	// Valid is false when the run must not be used as evidence, for
	// example because the load generator fell behind its schedule.
	Valid          bool     `json:"valid"`
	InvalidReasons []string `json:"invalid_reasons,omitempty"`
	// Failure is set when the run could not be made (a component exited
	// early, the lane could not start): the result holds no measurement.
	Failure *Failure `json:"failure,omitempty"`
	// Unavailable is set, with the reason, when the lane cannot do its job
	// in this case (see Lanes) or cannot run on this platform: the run was
	// planned but never made.
	Unavailable string `json:"unavailable,omitempty"`
}

// Failure is why a run produced no measurement.
type Failure struct {
	Phase      string `json:"phase"`                 // up | warmup | measure
	Component  string `json:"component,omitempty"`   // the component at fault, when known
	ExitStatus string `json:"exit_status,omitempty"` // e.g. "exit status 1"; empty if it was still running
	Error      string `json:"error"`
	LogTail    string `json:"log_tail,omitempty"` // the component's last output
}

// Case is one point of a scenario's matrix.
type Case struct {
	Name         string  `json:"name"`
	QPS          float64 `json:"qps"` // -1 means as fast as possible
	Connections  int     `json:"connections"`
	PayloadBytes int     `json:"payload_bytes"`
	Protocol     string  `json:"protocol"` // http1 | h2 | grpc | tcp
	MTLS         bool    `json:"mtls"`
	// Telemetry names the mesh's telemetry variant (the telemetry
	// catalog, TelemetryVariants); "" is the scenario's mesh.telemetry.
	Telemetry string `json:"telemetry,omitempty"`
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50"`
	P75  float64 `json:"p75"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Schedule is how an open-loop load client kept its schedule over the
// measured window (Nighthawk reports the same as blocking).
type Schedule struct {
	// Slots is how many requests the schedule started: sent + not sent.
	Slots int64 `json:"slots"`
	// NotSent slots fell due while their connection was still waiting for
	// an earlier response; they are in LatencyScheduled with the time from
	// their intended start until the connection was free.
	NotSent int64 `json:"not_sent"`
	// NotSentWaitMs is that time's distribution over the never-sent slots.
	NotSentWaitMs Percentiles `json:"not_sent_wait_ms"`
	// SentLate requests left more than LateThresholdMs after their
	// intended start, with their connection free: the load client's own
	// lag (timers, scheduler, CPU), not the system under test's.
	SentLate        int64   `json:"sent_late"`
	LateThresholdMs float64 `json:"late_threshold_ms"`
	// LatenessMs is how late every sent request left.
	LatenessMs Percentiles `json:"lateness_ms"`
}

// Histogram is the full latency histogram of a run, in milliseconds.
type Histogram struct {
	Count   int64    `json:"count"`
	Min     float64  `json:"min_ms"`
	Max     float64  `json:"max_ms"`
	Avg     float64  `json:"avg_ms"`
	StdDev  float64  `json:"stddev_ms"`
	Buckets []Bucket `json:"buckets"`
}

// Bucket is one histogram bucket: Count requests took between Start and End ms.
type Bucket struct {
	Start float64 `json:"start_ms"`
	End   float64 `json:"end_ms"`
	Count int64   `json:"count"`
}

// Component roles.
const (
	RoleClientProxy  = "client-proxy"
	RoleServerProxy  = "server-proxy"
	RoleGateway      = "gateway" // an ingress gateway on the data path (mesh/ingress modes)
	RoleControlPlane = "control-plane"
	RoleApp          = "app"
	RoleLoadgen      = "loadgen"
)

// Component is the measured cost of one process or container over the
// measured window.
type Component struct {
	Name            string  `json:"name"`
	Role            string  `json:"role"`
	CPUSeconds      float64 `json:"cpu_seconds"`
	CPUUsPerRequest float64 `json:"cpu_us_per_request"`
	// CPUSystemUsPerRequest is the kernel (system) part of
	// CPUUsPerRequest: time the kernel spent for the component (syscalls,
	// the TCP stack, context switches), which no user-space change to it
	// removes. nil where the CPU source cannot tell user from system time;
	// CPUSplitAbsent says why (kube: the kubelet has one counter). Reported,
	// never gated.
	CPUSystemUsPerRequest *float64 `json:"cpu_system_us_per_request,omitempty"`
	CPUSplitAbsent        string   `json:"cpu_split_absent,omitempty"`
	VCPUPer1000RPS        float64  `json:"vcpu_per_1000rps"`
	// RSSBytesSteady is the median resident set size over the window:
	// anonymous plus file-backed resident pages (VmRSS locally; a
	// container cgroup's anon + file_mapped on kind). 0 where the platform
	// cannot see it (kube: the kubelet reports no such figure). The gate
	// compares this one (rss_bytes_steady/proxies).
	RSSBytesSteady int64 `json:"rss_bytes_steady"`
	// RSSBytesPeak is the lifetime high-water mark where the source knows
	// it (VmHWM locally: start-up included), else the highest sample of
	// the window.
	RSSBytesPeak int64 `json:"rss_bytes_peak"`
	// RSSBytesWindowPeak is the highest RSS sampled in the measured window
	// (every 250 ms; warm-up and start-up excluded): what traffic cost, where
	// RSSBytesPeak may be a start-up figure. 0 when there was no sample.
	RSSBytesWindowPeak int64 `json:"rss_bytes_window_peak,omitempty"`
	// WorkingSetBytesSteady is the median cgroup working set (memory usage
	// minus inactive file pages, the kubelet's and `kubectl top`'s
	// figure): kind and kube, and locally where the component's cgroup
	// has memory accounting. 0 when unknown.
	WorkingSetBytesSteady int64 `json:"working_set_bytes_steady,omitempty"`
	// PSSBytesSteady is the median proportional set size: pages shared
	// between processes (two sidecars mapping one binary) are divided among
	// them, so it is the fairer per-process memory figure. 0 when unknown.
	PSSBytesSteady int64 `json:"pss_bytes_steady,omitempty"`
	// RSSAnonBytesSteady is the median anonymous RSS (heap, stacks): the
	// memory the process allocated. File-backed pages of its binary, in
	// RSS too, depend on the page cache: two byte-identical binaries in
	// different files gave the meshbench processes 12% different peak RSS
	// in one A/A gate. 0 when unknown.
	RSSAnonBytesSteady     int64   `json:"rss_anon_bytes_steady,omitempty"`
	CPUSource              string  `json:"cpu_source,omitempty"` // schedstat | proc-stat | cgroup | kubelet
	InstructionsPerRequest float64 `json:"instructions_per_request,omitempty"`
}

// MeshFeatures records what was switched on in the data path under test.
type MeshFeatures struct {
	Proxy     string            `json:"proxy"` // meshproxy, haproxy, nginx, httputil, envoy...
	MTLS      bool              `json:"mtls"`
	Telemetry bool              `json:"telemetry"`
	Workers   int               `json:"workers"` // GOMAXPROCS or worker threads per proxy
	XDS       bool              `json:"xds"`
	Extra     map[string]string `json:"extra,omitempty"`
}

// ExtraProxyBinaryBytes is the MeshFeatures.Extra key of the size in bytes of
// the proxy binary a local mesh lane ran: what the sidecar costs on disk,
// beside its components' RSS, PSS and anonymous memory. Its file pages are
// part of RSS, so a bigger binary shows in memory too.
const ExtraProxyBinaryBytes = "proxy_binary_bytes"

// ControlPlane is the record of a control-plane scenario run.
type ControlPlane struct {
	// Name is the control plane measured ("meshcontrol", "istiod"); empty
	// in results written before a scenario could name several.
	Name string `json:"name,omitempty"`
	// Unavailable says why this control plane was not run (e.g. its binary
	// is not built); such a record carries no measurements.
	Unavailable     string      `json:"unavailable,omitempty"`
	Services        int         `json:"services"`
	EndpointsPerSvc int         `json:"endpoints_per_service"`
	Proxies         int         `json:"proxies"`
	Changes         int         `json:"changes"`
	ConvergenceMs   Percentiles `json:"convergence_ms"`
	Pushes          int64       `json:"pushes"`
	BytesPushed     int64       `json:"bytes_pushed"`
	Nacks           int64       `json:"nacks"`
}

// Environment fingerprints the machine and build a result came from.
type Environment struct {
	Hostname    string  `json:"hostname"`
	OS          string  `json:"os"`
	Arch        string  `json:"arch"`
	CPUModel    string  `json:"cpu_model"`
	Cores       int     `json:"cores"`
	Kernel      string  `json:"kernel"`
	GoVersion   string  `json:"go_version"`
	GOMAXPROCS  int     `json:"gomaxprocs"`
	GOGC        string  `json:"gogc,omitempty"`
	GOMEMLIMIT  string  `json:"gomemlimit,omitempty"`
	GitRevision string  `json:"git_revision,omitempty"`
	GitDirty    bool    `json:"git_dirty,omitempty"`
	Pinning     string  `json:"pinning,omitempty"`
	StealPct    float64 `json:"steal_pct"`  // CPU steal over the measured window
	MachineID   string  `json:"machine_id"` // hash of what makes two machines comparable
}

// Key identifies the lane and case of a result, for grouping repetitions.
func (r *Result) Key() string {
	return r.LaneLabel() + " " + r.Case.Name
}

// Component returns the component with the given role, or nil.
func (r *Result) Component(role string) *Component {
	for i := range r.Components {
		if r.Components[i].Role == role {
			return &r.Components[i]
		}
	}
	return nil
}
