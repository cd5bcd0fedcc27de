package resilience

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// TestEjection: the time to eject is the end of the last bucket within the
// fail fault holding one of its 503s; what fails after that is the error
// rate after ejection; errors until the fault's end mean never ejected.
func TestEjection(t *testing.T) {
	spec := Spec{Bucket: Duration{time.Second}, RecoveryP99Factor: 3, AppReplicas: 3,
		Faults:   []Fault{{Kind: KindFail, Target: "app-3", Status: 503, At: Duration{2 * time.Second}, Until: Duration{5 * time.Second}}},
		Criteria: Criteria{MaxTimeToEject: &Duration{1500 * time.Millisecond}, MaxErrorRateAfterEject: ptr(0.0)}}
	fault := []results.FaultEvent{{Kind: KindFail, Target: "app-3", BeganS: 2, EndedS: 5}}
	tests := []struct {
		name                 string
		errs                 []int64
		ejected, passed      bool
		eject                float64
		toEject, afterErrors int64
	}{
		{"ejected in the first bucket", []int64{0, 0, 5, 0, 0, 0, 0}, true, true, 1, 5, 0},
		{"ejected late", []int64{0, 0, 5, 3, 0, 0, 0}, true, false, 2, 8, 0},
		{"never ejected", []int64{0, 0, 5, 5, 5, 0, 0}, false, false, 3, 15, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Analyze(spec, timeline(make([]float64, len(tc.errs)), tc.errs), fault)
			Check(spec, r, 700, nil)
			require.NotNil(t, r.Ejection)
			assert.Equal(t, tc.ejected, r.Ejection.Ejected)
			assert.InDelta(t, tc.eject, r.Ejection.TimeToEjectS, 1e-9)
			assert.Equal(t, tc.toEject, r.Ejection.ErrorsToEject)
			assert.Equal(t, tc.afterErrors, r.Ejection.ErrorsAfterEject)
			assert.Equal(t, tc.passed, r.Passed, "%+v", r.Criteria)
		})
	}
	// Another status's errors after the ejection count against it.
	errs := []int64{0, 0, 5, 0, 0, 0, 0}
	b := timeline(make([]float64, len(errs)), errs)
	b[3].Errors, b[3].ErrorsByCause = 2, map[string]int64{"socket": 2}
	r := Analyze(spec, b, fault)
	Check(spec, r, 700, nil)
	assert.Equal(t, int64(2), r.Ejection.ErrorsAfterEject)
	assert.InDelta(t, 0.01, r.Ejection.ErrorRateAfterEject, 1e-9)
	assert.False(t, r.Passed)
}

// TestFailSpecValidation: a fail fault must target one of the replicas and
// answer a 5xx; the ejection criteria need a fail fault.
func TestFailSpecValidation(t *testing.T) {
	tests := []struct {
		name string
		yaml map[string]any
		want string
	}{
		{"no replicas", map[string]any{"faults": []any{map[string]any{"kind": "fail", "target": "app-3", "at": "1s", "until": "2s"}}},
			"resilience.faults[0].target: \"app-3\" is not one of the app_replicas (0)"},
		{"beyond the replicas", map[string]any{"app_replicas": 2, "faults": []any{map[string]any{"kind": "fail", "target": "app-3", "at": "1s", "until": "2s"}}},
			"is not one of the app_replicas (2)"},
		{"not a 5xx", map[string]any{"app_replicas": 3, "faults": []any{map[string]any{"kind": "fail", "target": "app-3", "status": 404, "at": "1s", "until": "2s"}}},
			"resilience.faults[0].status: 404 is not a 5xx status"},
		{"criterion without fault", map[string]any{"faults": []any{map[string]any{"kind": "kill", "target": "app", "at": "1s", "until": "2s"}},
			"criteria": map[string]any{"max_time_to_eject": "1s"}}, "need a fail fault"},
		{"ejection percent", map[string]any{"app_replicas": 3, "outlier_detection": map[string]any{"max_ejection_percent": 101},
			"faults": []any{map[string]any{"kind": "fail", "target": "app-2", "at": "1s", "until": "2s"}}}, "outlier_detection.max_ejection_percent: 101"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeSpec(tc.yaml, 5*time.Second)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tc.want), "%v", err)
		})
	}
	s, err := DecodeSpec(map[string]any{"app_replicas": 3, "outlier_detection": map[string]any{"consecutive_5xx": 5, "base_ejection_time": "30s"},
		"faults": []any{map[string]any{"kind": "fail", "target": "app-3", "at": "1s", "until": "2s"}}}, 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, 503, s.FailStatus(), "default status")
	p := s.Policy("echo")
	require.NotNil(t, p)
	require.Len(t, p.Destinations, 1)
	assert.Equal(t, uint32(5), p.Destinations[0].OutlierDetection.Consecutive5xx)
	assert.Equal(t, 30*time.Second, time.Duration(p.Destinations[0].OutlierDetection.BaseEjectionTime))
	assert.Empty(t, p.Routes, "no route rule without an abort or a timeout")
}
