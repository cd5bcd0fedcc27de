package plots

import (
	"bytes"
	"context"
	"image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports/digest"
)

func resilienceResult() *results.Result {
	z := &results.Resilience{BucketMs: 250, Faults: []results.FaultEvent{{Kind: "kill", Target: "app", BeganS: 1, EndedS: 2}}}
	for i := range 16 {
		b := results.TimeBucket{StartS: float64(i) * 0.25, Requests: 100, P50Ms: 0.5, P99Ms: 1}
		if i >= 4 && i < 8 {
			b.Errors, b.ErrorsByCause = 100, map[string]int64{"503": 100}
		}
		z.Buckets = append(z.Buckets, b)
	}
	return &results.Result{Scenario: "app-kill", ScenarioKind: "resilience", Lane: "mesh", Mode: "both", Repetition: 1,
		Requests: 1600, Errors: 400, Resilience: z}
}

// TestResilienceTimeline: a resilience run is drawn as one row of three
// panels; without one the figure is omitted with the reason.
func TestResilienceTimeline(t *testing.T) {
	figs, _, err := All(context.Background(), Data{Digest: digest.Build([]*results.Result{resilienceResult()})})
	require.NoError(t, err)
	var f *Figure
	for i := range figs {
		if figs[i].Name == "resilience" {
			f = &figs[i]
		}
	}
	require.NotNil(t, f, "the resilience figure is drawn")
	img, err := png.Decode(bytes.NewReader(f.PNG))
	require.NoError(t, err)
	assert.Greater(t, img.Bounds().Dx(), 1000)
	assert.Contains(t, f.Caption, "shaded")

	_, omitted, err := All(context.Background(), Data{})
	require.NoError(t, err)
	var reason string
	for _, o := range omitted {
		if o.Name == "resilience" {
			reason = o.Reason
		}
	}
	assert.Equal(t, "no resilience scenario results", reason)
}
