package schemas_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/envinfo"
	"github.com/meshbench/meshbench/harness/gate/compare"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/platform/local"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/run"
	"github.com/meshbench/meshbench/harness/scenario"
	"github.com/meshbench/meshbench/internal/testbin"
	"github.com/meshbench/meshbench/schemas"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// A tiny scenario: two runs of the mesh with both sidecars (so every
// component role and the mesh block appear), a second each.
const tiny = `
name: schema
kind: synthetic
lanes: [mesh/both]
repetitions: 2
warmup: 500ms
duration: 1s
matrix: {qps: [200], connections: [2], payload_bytes: [64]}
mesh: {workers: 1}
`

// TestFreshOutputsValidate runs the tiny scenario on the local platform,
// compares its two runs, and validates the result files the run wrote and
// the comparison JSON against the schemas.
func TestFreshOutputsValidate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the mesh for a few seconds: skipped with -short")
	}
	bin := testbin.Dir(t)
	s, err := scenario.Parse("tiny.yaml", []byte(tiny))
	require.NoError(t, err)
	out := t.TempDir()
	plat := local.New(platform.Binaries{Meshbench: filepath.Join(bin, "meshbench"),
		Meshproxy: filepath.Join(bin, "meshproxy"), Meshcontrol: filepath.Join(bin, "meshcontrol")}, local.WithWorkDir(out))
	defer plat.Close(context.Background())
	rs, err := run.Execute(context.Background(), run.Options{Scenario: s, Platform: plat, OutDir: out, Env: envinfo.Collect("..")})
	require.NoError(t, err)
	require.Len(t, rs, 2)
	files, err := filepath.Glob(filepath.Join(out, "*.json"))
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		if validateFile(t, f) {
			n++
		}
	}
	assert.Equal(t, 2, n, "both result files validated")

	// A 1 s run on a busy machine is often marked invalid (its load client
	// starved); that is not what this test checks, and compare drops
	// invalid runs, so the comparison is made from valid copies.
	var usable []*results.Result
	for _, r := range rs {
		c := *r
		c.Valid, c.InvalidReasons = true, nil
		usable = append(usable, &c)
	}
	c, err := compare.Compare(usable[:1], usable[1:], compare.Options{BaseLabel: "rep1", CandidateLabel: "rep2"})
	require.NoError(t, err)
	cf := filepath.Join(out, "comparison.json")
	require.NoError(t, results.WriteJSON(cf, c))
	assert.True(t, validateFile(t, cf))
	assert.NoError(t, schemas.Validate(schemas.Comparison, mustRead(t, cf)))
}
