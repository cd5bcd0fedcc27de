package e2e

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/aggregate"
	"github.com/meshbench/meshbench/harness/envinfo"
	"github.com/meshbench/meshbench/harness/gate/stats"
	"github.com/meshbench/meshbench/harness/metric"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/platform/local"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/run"
	"github.com/meshbench/meshbench/harness/scenario"
	"github.com/meshbench/meshbench/harness/summary"
)

const shortScenario = `
name: e2e
kind: synthetic
lanes: [none, mesh/both]
repetitions: 3
warmup: 1s
duration: 3s
matrix: {qps: [300], connections: [8], payload_bytes: [1024]}
mesh: {workers: 1}
`

func bins() platform.Binaries {
	return platform.Binaries{
		Meshbench:   filepath.Join(binDir, "meshbench"),
		Meshproxy:   filepath.Join(binDir, "meshproxy"),
		Meshcontrol: filepath.Join(binDir, "meshcontrol"),
	}
}

// runLocal runs a scenario given as YAML on the local platform and returns
// its results and output directory.
func runLocal(t *testing.T, yaml string) ([]*results.Result, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	s, err := scenario.Parse(t.Name()+".yaml", []byte(yaml))
	require.NoError(t, err)
	out := t.TempDir()
	plat := local.New(bins(), local.WithWorkDir(out))
	defer plat.Close(context.Background())
	res, err := run.Execute(context.Background(), run.Options{Scenario: s, Platform: plat, OutDir: out, Env: envinfo.Collect(".")})
	require.NoError(t, err)
	return res, out
}

func TestShortScenarioOnLocalPlatform(t *testing.T) {
	res, out := runLocal(t, shortScenario)
	require.Len(t, res, 6)

	onDisk, err := results.ReadAll(out)
	require.NoError(t, err)
	require.Len(t, onDisk, 6, "one atomically written file per run")

	for _, r := range res {
		t.Run(r.Key(), func(t *testing.T) {
			assert.Greater(t, r.Requests, int64(0))
			assert.Zero(t, r.Errors)
			l := r.Latency
			ps := []float64{l.P50, l.P75, l.P90, l.P99, l.P999, l.Max}
			for i := 1; i < len(ps); i++ {
				assert.LessOrEqual(t, ps[i-1], ps[i], "percentiles non-decreasing")
			}
			wantRoles := []string{results.RoleLoadgen, results.RoleApp}
			if r.Lane == platform.LaneMesh {
				wantRoles = append(wantRoles, results.RoleClientProxy, results.RoleServerProxy)
				require.NotNil(t, r.Mesh)
				assert.True(t, r.Mesh.XDS, "the mesh lane runs on xDS")
				assert.NotNil(t, r.Component(results.RoleControlPlane), "meshcontrol is measured")
			}
			for _, role := range wantRoles {
				c := r.Component(role)
				require.NotNil(t, c, role)
				assert.Greater(t, c.CPUSeconds, 0.0, "CPU attributed to %s", role)
				assert.Greater(t, c.CPUUsPerRequest, 0.0, role)
				assert.Greater(t, c.RSSBytesPeak, int64(0), role)
			}
			assert.NotEmpty(t, r.Environment.CPUModel)
		})
	}
	// Per lane, the median run keeps the open-loop schedule and the mesh adds
	// latency. Taken over every run: on a busy shared machine a run may be
	// marked invalid (its load client lagged) and still keep the rate, and a
	// lane may have no valid run at all.
	qps, p50s := map[string][]float64{}, map[string][]float64{}
	for _, r := range res {
		lane := aggregate.LaneLabel(r)
		qps[lane] = append(qps[lane], r.AchievedQPS)
		p50s[lane] = append(p50s[lane], r.Latency.P50)
	}
	for lane, v := range qps {
		assert.InEpsilon(t, 300, stats.Median(v), 0.05, "%s: achieved qps within 5%% of target", lane)
	}
	assert.Greater(t, stats.Median(p50s["mesh/both"]), stats.Median(p50s["none"]), "two sidecars add latency at p50")
	// The summary's numbers are the valid runs' only: a lane without one
	// shows none.
	for _, row := range summary.Rows(res) {
		if row.N == 0 {
			assert.Zero(t, row.Value(metric.P50()), row.Lane)
			assert.Zero(t, row.Value(metric.QPS()), row.Lane)
		} else {
			assert.InEpsilon(t, 300, row.Value(metric.QPS()), 0.05, "%s: achieved qps within 5%% of target", row.Lane)
		}
	}
}
