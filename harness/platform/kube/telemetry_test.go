package kube

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/platform"
)

// TestTelemetryVariantsLocalOnly: access logs and tracing (telemetry
// variants) are refused as unavailable before anything is created; metrics
// off reaches the sidecars as meshproxy --request-metrics=false.
func TestTelemetryVariantsLocalOnly(t *testing.T) {
	for _, m := range []platform.MeshOptions{{AccessLogPercent: 1}, {Tracing: &platform.Tracing{Collector: "127.0.0.1:4317", SamplingPercent: 100}}} {
		p, _ := newTestPlatform(t, allImages)
		_, err := p.Up(context.Background(), platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth, Mesh: m})
		require.ErrorIs(t, err, platform.ErrLaneUnavailable)
		assert.Contains(t, err.Error(), "local platform only")
	}
	assert.Equal(t, []string{"--request-metrics=false", "--x"}, platform.MeshOptions{ProxyArgs: []string{"--x"}}.MeshproxyArgs())
	assert.Equal(t, []string{"--x"}, platform.MeshOptions{Telemetry: true, ProxyArgs: []string{"--x"}}.MeshproxyArgs())
}
