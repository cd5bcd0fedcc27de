package export

import (
	"math"
	"time"

	"github.com/meshbench/meshbench/harness/results"
)

// SMPVersion is the Service Mesh Performance specification release whose
// protos/ these types mirror (tag v0.6.1; the field list and its source are
// in testdata/smp-fields.txt).
const SMPVersion = "v0.6.1"

// The Service Mesh Performance Go module is not served by the module proxy
// this project builds from, so these structs mirror its messages field for
// field, in the proto3 JSON mapping with the protos' own field names
// (protojson accepts them): zero values omitted, timestamps RFC 3339.

// SMPResult is smp.PerformanceTestResult.
type SMPResult struct {
	SMPVersion   string            `json:"smp_version,omitempty"`
	ID           string            `json:"id,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	StartTime    string            `json:"start_time,omitempty"`
	EndTime      string            `json:"end_time,omitempty"`
	LatenciesMs  *SMPLatency       `json:"latencies_ms,omitempty"`
	ActualQPS    float64           `json:"actual_qps,omitempty"`
	DetailsURI   string            `json:"details_uri,omitempty"`
	TestID       string            `json:"test_id,omitempty"`
	MeshConfigID string            `json:"mesh_config_id,omitempty"`
	EnvID        string            `json:"env_id,omitempty"`
}

// SMPLatency is smp.PerformanceTestResult.Latency, in milliseconds.
type SMPLatency struct {
	Min     float64 `json:"min,omitempty"`
	Average float64 `json:"average,omitempty"`
	P50     float64 `json:"p50,omitempty"`
	P90     float64 `json:"p90,omitempty"`
	P99     float64 `json:"p99,omitempty"`
	Max     float64 `json:"max,omitempty"`
}

// SMPMeshConfig is smp.ServiceMeshConfig, the fields meshbench knows.
// The gateway, telemetry and policy sub-messages have no counterpart in
// meshbench's mesh (no ingress, egress, mixer-style pods) and stay absent.
type SMPMeshConfig struct {
	SMPVersion           string               `json:"smp_version,omitempty"`
	ID                   string               `json:"id,omitempty"`
	Labels               map[string]string    `json:"labels,omitempty"`
	Sidecar              *SMPSidecar          `json:"sidecar,omitempty"`
	MeshControlPlane     *SMPMeshControlPlane `json:"mesh_control_plane,omitempty"`
	MeshTelemetryEnabled bool                 `json:"mesh_telemetry_enabled,omitempty"`
	MTLSEnabled          bool                 `json:"mtls_enabled,omitempty"`
	ProxyConcurrency     int32                `json:"proxy_concurrency,omitempty"`
	MeshBuild            string               `json:"mesh_build,omitempty"`
	ProxyBuild           string               `json:"proxy_build,omitempty"`
	Profile              string               `json:"profile,omitempty"`
}

// SMPSidecar is smp.ServiceMeshConfig.Sidecar: all sidecars together.
type SMPSidecar struct {
	Count     int32 `json:"count,omitempty"`
	CPUMcores int32 `json:"cpu_mcores,omitempty"`
	MemMB     int32 `json:"mem_mb,omitempty"`
	RPS       int32 `json:"rps,omitempty"`
}

// SMPMeshControlPlane is smp.ServiceMeshConfig.MeshControlPlane.
type SMPMeshControlPlane struct {
	Count     int32 `json:"count,omitempty"`
	CPUMcores int32 `json:"cpu_mcores,omitempty"`
	MemMB     int32 `json:"mem_mb,omitempty"`
	Services  int32 `json:"services,omitempty"`
	Sidecars  int32 `json:"sidecars,omitempty"`
}

// SMPEnvironment is smp.EnvironmentConfig.
type SMPEnvironment struct {
	SMPVersion          string            `json:"smp_version,omitempty"`
	ID                  string            `json:"id,omitempty"`
	Labels              map[string]string `json:"labels,omitempty"`
	Nodes               []SMPNode         `json:"nodes,omitempty"`
	IndividualWorkloads []SMPWorkload     `json:"individual_workloads,omitempty"`
}

// SMPNode is smp.EnvironmentConfig.Node.
type SMPNode struct {
	Type  string `json:"type,omitempty"`
	Cores int32  `json:"cores,omitempty"`
}

// SMPWorkload is smp.EnvironmentConfig.IndividualWorkload.
type SMPWorkload struct {
	Name      string `json:"name,omitempty"`
	Count     int32  `json:"count,omitempty"`
	CPUMcores int32  `json:"cpu_mcores,omitempty"`
	MemMB     int32  `json:"mem_mb,omitempty"`
}

// SMPDocs are the three documents of one run: the result and the mesh
// configuration and environment it refers to by id.
type SMPDocs struct {
	Result      SMPResult
	MeshConfig  SMPMeshConfig
	Environment SMPEnvironment
}

// mebibyte: the spec says "MB" without defining it; meshbench uses MiB, the
// unit Kubernetes memory figures (Mi) are read in.
const mebibyte = 1 << 20

// ToSMP converts a result whose file is named id (its base name) and
// whose meshbench record is at detailsURI.
func ToSMP(r *results.Result, id, detailsURI string) SMPDocs {
	labels := map[string]string{"scenario": r.Scenario, "lane": r.Lane, "case": r.Case.Name, "platform": r.Platform}
	if r.Mode != "" {
		labels["mode"] = r.Mode
	}
	for k, v := range r.Labels {
		labels[k] = v
	}
	end := r.Started.Add(time.Duration((r.WarmupS + r.DurationS) * float64(time.Second)))
	h, p := r.Histogram, r.Latency
	d := SMPDocs{Result: SMPResult{
		SMPVersion: SMPVersion, ID: id, Labels: labels,
		StartTime: r.Started.UTC().Format(time.RFC3339Nano), EndTime: end.UTC().Format(time.RFC3339Nano),
		LatenciesMs: &SMPLatency{Min: h.Min, Average: h.Avg, P50: p.P50, P90: p.P90, P99: p.P99, Max: p.Max},
		ActualQPS:   r.AchievedQPS, DetailsURI: detailsURI, TestID: r.Scenario,
		MeshConfigID: id + "-mesh", EnvID: id + "-env",
	}}
	mc := SMPMeshConfig{SMPVersion: SMPVersion, ID: id + "-mesh", Labels: labels, Profile: r.Lane,
		MeshBuild: r.Environment.GitRevision}
	if m := r.Mesh; m != nil {
		mc.MTLSEnabled, mc.MeshTelemetryEnabled, mc.ProxyConcurrency, mc.ProxyBuild = m.MTLS, m.Telemetry, int32(m.Workers), m.Proxy
	}
	var side SMPSidecar
	env := SMPEnvironment{SMPVersion: SMPVersion, ID: id + "-env", Labels: labels,
		Nodes: []SMPNode{{Type: r.Environment.CPUModel, Cores: int32(r.Environment.Cores)}}}
	for _, c := range r.Components {
		mc, mem := mcores(c, r.DurationS), int32(c.RSSBytesSteady/mebibyte)
		switch c.Role {
		case results.RoleClientProxy, results.RoleServerProxy, results.RoleGateway:
			side.Count++
			side.CPUMcores += mc
			side.MemMB += mem
		case results.RoleControlPlane:
			if d.MeshConfig.MeshControlPlane == nil {
				d.MeshConfig.MeshControlPlane = &SMPMeshControlPlane{}
			}
			cp := d.MeshConfig.MeshControlPlane
			cp.Count++
			cp.CPUMcores += mc
			cp.MemMB += mem
		default:
			env.IndividualWorkloads = append(env.IndividualWorkloads, SMPWorkload{Name: c.Name, Count: 1, CPUMcores: mc, MemMB: mem})
		}
	}
	cp := d.MeshConfig.MeshControlPlane
	if side.Count > 0 {
		side.RPS = int32(math.Round(r.AchievedQPS))
		mc.Sidecar = &side
		if cp != nil {
			cp.Sidecars = side.Count
		}
	}
	mc.MeshControlPlane = cp
	if r.ControlPlane != nil && cp != nil {
		cp.Services = int32(r.ControlPlane.Services)
		cp.Sidecars = int32(r.ControlPlane.Proxies)
	}
	d.MeshConfig, d.Environment = mc, env
	return d
}

// mcores is a component's average CPU over the measured window in
// millicores (CPU seconds per second x 1000).
func mcores(c results.Component, durationS float64) int32 {
	if durationS <= 0 {
		return 0
	}
	return int32(math.Round(1000 * c.CPUSeconds / durationS))
}
