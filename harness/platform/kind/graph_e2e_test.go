package kind_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/cluster"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/testbin"
	kindconfig "github.com/meshbench/meshbench/kind-config"
)

// TestKindGraphE2E runs the shipped scenarios/app/kind-two-clients.yaml
// (Bookinfo with a weighted split, two load clients; --profile short) as a
// user would, on a fresh three-node cluster, and checks each lane's result:
// the load clients ran on two different nodes, the merged histogram holds
// every client's requests, every edge carried the calls the topology
// predicts, and in the mesh lane every edge has its latency from the
// sidecars (none in the none lane). The cluster is deleted afterwards. It
// needs Docker (make kind-host) and the node image (make node-image).
func TestKindGraphE2E(t *testing.T) {
	image := needKind(t, kindconfig.ThreeNodes)
	const name = "mb-hops-kube"
	bin := testbin.StaticDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	mgr := cluster.NewManager(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { _ = mgr.Delete(name, "") })
	if ok, _ := mgr.Exists(name); ok {
		t.Fatalf("kind cluster %s exists already (left by an earlier run?): delete it with meshbench cluster delete --name %s", name, name)
	}
	scen, err := filepath.Abs("../../../scenarios/app/kind-two-clients.yaml")
	require.NoError(t, err)
	lanes := runThreeNodes(t, ctx, bin, name, image, "-f", scen, "--profile", "short")
	require.Contains(t, lanes, "none")
	require.Contains(t, lanes, "mesh")
	for lane, r := range lanes {
		assert.Equal(t, "kind", r.Platform, lane)
		assertLoadFlowed(t, lane, r, 200*4) // 200 qps for 4 s
		assert.Zero(t, r.Errors, "%s: errors %v", lane, r.ErrorsByStatus)
		assert.Equal(t, 2, r.LoadClients, lane)
		if assert.Len(t, r.LoadClientNodes, 2, lane) {
			assert.NotEqual(t, r.LoadClientNodes[0], r.LoadClientNodes[1], "%s: the load clients ran on different nodes", lane)
		}
		assert.Equal(t, r.Requests, r.Histogram.Count, "%s: the merged histogram holds both clients' requests", lane)
		apps := 0
		for _, c := range r.Components {
			if c.Role == results.RoleApp {
				apps++
			}
		}
		assert.Equal(t, 6, apps, "%s: one app component per service", lane)
		require.Len(t, r.GraphEdges, 7, "%s: 7 call edges, the split's three included", lane)
		for _, e := range r.GraphEdges {
			assert.True(t, e.OK, "%s: edge %s -> %s: %d calls, expected %.1f +- %.1f", lane, e.From, e.To, e.Calls, e.Expected, e.Tolerance)
			if lane == "mesh" {
				if assert.NotNil(t, e.Hop, "mesh: edge %s -> %s has its latency from the sidecars", e.From, e.To) {
					assert.Positive(t, e.Hop.Requests, "mesh: %s -> %s", e.From, e.To)
					assert.Positive(t, e.Hop.MeanMs, "mesh: %s -> %s", e.From, e.To)
				}
			} else {
				assert.Nil(t, e.Hop, "none: no sidecars, no hop latency")
			}
		}
	}
	assert.Empty(t, kindContainers(t, name), "the cluster the run created is deleted on exit")
}

// runThreeNodes runs `meshbench run ARGS --platform kind` on a fresh
// three-node cluster called name and returns its results by lane.
func runThreeNodes(t *testing.T, ctx context.Context, bin, name, image string, args ...string) map[string]*results.Result {
	t.Helper()
	resDir := filepath.Join(t.TempDir(), "results")
	args = append(append([]string{"run"}, args...), "--platform", "kind", "-o", resDir, "--no-report")
	run := exec.CommandContext(ctx, filepath.Join(bin, "meshbench"), args...)
	run.Env = append(os.Environ(), "MESHBENCH_KIND_CLUSTER="+name, "MESHBENCH_NODE_IMAGE="+image, "MESHBENCH_KIND_CONFIG=three-nodes")
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	start := time.Now()
	err := run.Run()
	t.Logf("meshbench run --platform kind took %s\n%s", time.Since(start).Round(time.Second), stdout.String())
	require.NoError(t, err, "stderr:\n%s", stderr.String())
	logSettle(t, stderr.String())
	files, err := filepath.Glob(filepath.Join(resDir, "*.json"))
	require.NoError(t, err)
	rs, err := results.ReadAll(files...)
	require.NoError(t, err)
	lanes := map[string]*results.Result{}
	for _, r := range rs {
		lanes[r.Lane] = r
	}
	return lanes
}
