package translate

import (
	"os"
	"path/filepath"
	"testing"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
)

// TestTracingTheEnvoyWay: a mesh file's telemetry.tracing becomes, on every
// proxy, the collector's static cluster and an HCM tracing section whose
// OpenTelemetry provider points at it, with the sampling percentage.
func TestTracingTheEnvoyWay(t *testing.T) {
	m, err := meshconfig.Lane(meshconfig.LaneOptions{Mode: meshconfig.ModeBoth, ClientOutbound: "127.0.0.1:15001",
		ServerInbound: "127.0.0.1:15006", App: "127.0.0.1:8080"})
	require.NoError(t, err)
	pct := 1.0
	m.Telemetry = &meshconfig.Telemetry{Tracing: &meshconfig.Tracing{Collector: "127.0.0.1:4317", SamplingPercent: &pct}}
	path := filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, m.WriteFile(path))
	m, err = meshconfig.Load(path)
	require.NoError(t, err)
	out, err := Build(m)
	require.NoError(t, err)
	for id, p := range out {
		names := map[string]bool{}
		for _, c := range p.Resources.Clusters {
			names[c.GetName()] = true
		}
		assert.True(t, names[CollectorCluster], id)
		require.NotEmpty(t, p.Resources.Listeners, id)
		for _, l := range p.Resources.Listeners {
			for _, fc := range l.GetFilterChains() {
				var h hcmv3.HttpConnectionManager
				require.NoError(t, fc.GetFilters()[0].GetTypedConfig().UnmarshalTo(&h))
				assert.Equal(t, 1.0, h.GetTracing().GetRandomSampling().GetValue(), id)
				assert.Equal(t, "envoy.tracers.opentelemetry", h.GetTracing().GetProvider().GetName(), id)
			}
		}
	}
	require.NoError(t, os.WriteFile(path, []byte("services: [{name: a}]\ntelemetry: {tracing: {collector: nope, samplingPercent: 101}}\n"), 0o644))
	_, err = meshconfig.Load(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "telemetry.tracing.collector")
	assert.Contains(t, err.Error(), "telemetry.tracing.samplingPercent: 101 is outside 0..100")
}

// TestAccessLoggingTheEnvoyWay: telemetry.accessLogging becomes an HCM
// access log on every listener, and the proxy's own compiler reads back
// the configured share: 1% sampled, 100% unfiltered, none without it.
func TestAccessLoggingTheEnvoyWay(t *testing.T) {
	for _, tc := range []struct {
		pct  *float64
		off  bool
		want float64
	}{{pct: ptr(1.0), want: 0.01}, {pct: ptr(100.0), want: 1}, {pct: nil, want: 1}, {off: true, want: 0}, {pct: ptr(0.0), want: 0}} {
		m, err := meshconfig.Lane(meshconfig.LaneOptions{Mode: meshconfig.ModeBoth, ClientOutbound: "127.0.0.1:15001",
			ServerInbound: "127.0.0.1:15006", App: "127.0.0.1:8080"})
		require.NoError(t, err)
		if !tc.off {
			m.Telemetry = &meshconfig.Telemetry{AccessLogging: &meshconfig.AccessLogging{SamplingPercent: tc.pct}}
		}
		out, err := Build(m)
		require.NoError(t, err)
		require.NotEmpty(t, out)
		for id, p := range out {
			snap, err := config.NewCompiler().Compile(p.Resources)
			require.NoError(t, err, id)
			require.NotEmpty(t, snap.Listeners, id)
			for _, l := range snap.Listeners {
				for _, c := range l.Chains {
					assert.InDelta(t, tc.want, c.HTTP.AccessLogFraction, 1e-9, "%s %+v", id, tc)
				}
			}
		}
	}
	path := filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, os.WriteFile(path, []byte("services: [{name: a}]\ntelemetry: {accessLogging: {samplingPercent: -3}}\n"), 0o644))
	_, err := meshconfig.Load(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "telemetry.accessLogging.samplingPercent: -3 is outside 0..100")
}

func ptr[T any](v T) *T { return &v }
