package published_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/reports/published"
)

func find(s *published.Set, id, mesh, pct string, kind published.Kind, derived bool) []published.Figure {
	var out []published.Figure
	for _, f := range s.Figures {
		if f.Source.ID == id && f.Mesh == mesh && f.Percentile == pct && f.Kind == kind && f.Derived == derived {
			out = append(out, f)
		}
	}
	return out
}

func TestDefaultSet(t *testing.T) {
	s, err := published.Default()
	require.NoError(t, err)
	assert.Len(t, s.Sources, 16, "every entry of published.yaml")
	for _, src := range s.Sources {
		assert.NotEmpty(t, src.Ref, "%s has a source", src.ID)
		assert.NotEmpty(t, src.Conditions, "%s has test conditions", src.ID)
	}
	tests := []struct {
		name                 string
		id, mesh, pct        string
		kind                 published.Kind
		derived              bool
		want, wantLo, wantHi float64
	}{
		{"Istio 1.20 two sidecars p99", "istio-doc-1.20", "istio", "p99", published.KindAddedLatency, false, 0.298, 0.298, 0.298},
		{"Istio 1.8-1.16 vCPU", "istio-doc-1.8.3-to-1.16.2", "istio", "", published.KindProxyCPU, false, 0.35, 0.35, 0.35},
		{"Kinvolk Linkerd p99, derived from absolute latencies", "kinvolk-2019-500rps", "linkerd", "p99", published.KindAddedLatency, true, 3.6, 3.6, 3.6},
		{"Ivan Sim Linkerd memory range", "ivansim-2018", "linkerd", "", published.KindProxyMemory, false, 5, 4, 6},
		{"Ivan Sim Linkerd CPU from µs per request", "ivansim-2018", "linkerd", "", published.KindProxyCPU, true, 0.056, 0.037, 0.075},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := find(s, tc.id, tc.mesh, tc.pct, tc.kind, tc.derived)
			require.Len(t, fs, 1)
			assert.InDelta(t, tc.want, fs[0].Value, 1e-9)
			assert.InDelta(t, tc.wantLo, fs[0].Lo, 1e-9)
			assert.InDelta(t, tc.wantHi, fs[0].Hi, 1e-9)
			if tc.derived {
				assert.NotEmpty(t, fs[0].Formula)
			}
		})
	}
	for _, tc := range []struct {
		id   string
		want bool
	}{{"istio-doc-1.1", true}, {"istio-doc-1.8.3-to-1.16.2", true}, {"istio-doc-1.20", false}, {"istio-doc-1.24", false}} {
		fs := find(s, tc.id, "istio", "", published.KindProxyMemory, false)
		require.NotEmpty(t, fs, tc.id)
		assert.Equal(t, tc.want, strings.Contains(fs[0].Note, "70k-rps load mesh"), tc.id)
	}
	// The Istio docs' vCPU figures are not repeated from derived_cpu_per_request.
	for _, f := range s.ByKind(published.KindProxyCPU) {
		if f.Derived {
			assert.Equal(t, "ivansim-2018", f.Source.ID)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"no yaml", fstest.MapFS{"README": {Data: []byte("x")}}, "no published figures"},
		{"entry without id", fstest.MapFS{"a.yaml": {Data: []byte("entries:\n- mesh: istio\n")}}, "has no id"},
		{"bad value", fstest.MapFS{"a.yaml": {Data: []byte("entries:\n- id: x\n  metrics:\n  - {metric: m, value: lots}\n")}}, `value "lots"`},
		{"not yaml", fstest.MapFS{"a.yaml": {Data: []byte("entries: [\n")}}, "a.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := published.Load(tc.fs, ".")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
