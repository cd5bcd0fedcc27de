package local

import (
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// withTelemetry sets the mesh's access logging and tracing from the run's
// options (a telemetry variant), the way a user writes them in the mesh
// file; meshcontrol turns them into every proxy's HCM.
func withTelemetry(mesh *meshconfig.Mesh, o platform.MeshOptions) {
	if o.AccessLogPercent <= 0 && o.Tracing == nil {
		return
	}
	if mesh.Telemetry == nil {
		mesh.Telemetry = &meshconfig.Telemetry{}
	}
	if o.AccessLogPercent > 0 {
		p := o.AccessLogPercent
		mesh.Telemetry.AccessLogging = &meshconfig.AccessLogging{SamplingPercent: &p}
	}
	if o.Tracing != nil {
		p := o.Tracing.SamplingPercent
		mesh.Telemetry.Tracing = &meshconfig.Tracing{Collector: o.Tracing.Collector, SamplingPercent: &p}
	}
}
