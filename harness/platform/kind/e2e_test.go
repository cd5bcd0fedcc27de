package kind_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/cluster"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/testbin"
	kindconfig "github.com/meshbench/meshbench/kind-config"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// needKind skips the test without Docker or the node image (or under
// -short), or when Docker's disk cannot hold a cluster of config (the
// product's own check, cluster.DiskCheck), and returns the node image to use.
func needKind(t *testing.T, config string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("kind end-to-end test skipped in -short mode")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skip("Docker is not running (make kind-host installs and starts it): kind end-to-end test skipped")
	}
	image := os.Getenv("MESHBENCH_NODE_IMAGE")
	if image == "" {
		image = cluster.DefaultNodeImage
	}
	if err := exec.Command("docker", "image", "inspect", image).Run(); err != nil {
		t.Skipf("node image %s is absent (make node-image builds it): kind end-to-end test skipped", image)
	}
	err := cluster.NewDiskCheck(slog.New(slog.DiscardHandler)).ForCluster(context.Background(), t.Name(), config)
	if errors.Is(err, cluster.ErrDiskFull) {
		t.Skipf("kind end-to-end test skipped: %v", err)
	}
	require.NoError(t, err)
	return image
}

// kindContainers lists the containers of the kind cluster name.
func kindContainers(t *testing.T, name string) string {
	t.Helper()
	ps, err := exec.Command("docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster="+name, "-q").Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(ps))
}

// settleLine is the kind platform's log line at the end of its settle
// step: how long it took, or what was still busy at its bound.
var settleLine = regexp.MustCompile(`(?m)^.*msg="kind cluster (not )?settled.*$`)

// logSettle logs the settle step's line of a `meshbench run --platform
// kind` and checks that the step ran.
func logSettle(t *testing.T, stderr string) {
	t.Helper()
	line := settleLine.FindString(stderr)
	assert.NotEmpty(t, line, "the kind platform logs its settle step:\n%s", stderr)
	t.Logf("settle step: %s", line)
}

const e2eScenario = `name: kind-e2e
kind: synthetic
description: short check of the kind platform, both lanes
lanes: [none, mesh/both]
repetitions: 1
seed: 7
warmup: 1s
duration: 3s
matrix:
  qps: [200]
  connections: [4]
  payload_bytes: [1024]
  protocol: [http1]
  mtls: [false]
mesh:
  workers: 1
load:
  clients: 2
`

// TestKindE2E builds static binaries, then runs `meshbench run --platform
// kind` on a fresh three-node cluster (two load clients, server and mesh
// on nodes of their own, so requests cross the harness's CNI routes) in
// both lanes and checks the results (the two load clients on different
// nodes, their reports merged) and that the cluster is gone afterwards. It needs Docker (make kind-host)
// and the node image (make node-image); it takes a few minutes.
func TestKindE2E(t *testing.T) {
	image := needKind(t, kindconfig.ThreeNodes)
	const name = "meshbench-e2e"
	bin := testbin.StaticDir(t) // built before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	// Whatever happens, no cluster outlives the test.
	t.Cleanup(func() { _ = cluster.NewManager(slog.New(slog.DiscardHandler)).Delete(name, "") })
	if ok, _ := cluster.NewManager(slog.New(slog.DiscardHandler)).Exists(name); ok {
		t.Fatalf("kind cluster %s exists already (left by an earlier run?): delete it with meshbench cluster delete --name %s", name, name)
	}

	scen := filepath.Join(t.TempDir(), "kind-e2e.yaml")
	require.NoError(t, os.WriteFile(scen, []byte(e2eScenario), 0o644))
	lanes := runThreeNodes(t, ctx, bin, name, image, "-f", scen)
	require.Contains(t, lanes, "none")
	require.Contains(t, lanes, "mesh")
	wantRoles := map[string][]string{
		"none": {results.RoleApp, results.RoleLoadgen},
		"mesh": {results.RoleApp, results.RoleLoadgen, results.RoleClientProxy, results.RoleServerProxy, results.RoleControlPlane},
	}
	for lane, roles := range wantRoles {
		r := lanes[lane]
		assert.Equal(t, "kind", r.Platform, lane)
		assertLoadFlowed(t, lane, r, 200*3) // 200 qps for 3 s
		assert.Zero(t, r.Errors, "%s: errors %v", lane, r.ErrorsByStatus)
		assert.Equal(t, 2, r.LoadClients, "%s: load.clients", lane)
		if assert.Len(t, r.LoadClientNodes, 2, lane) {
			assert.NotEqual(t, r.LoadClientNodes[0], r.LoadClientNodes[1], "%s: the load clients run on different nodes", lane)
		}
		assert.Equal(t, r.Requests, r.Histogram.Count, "%s: the merged histogram holds both clients' requests", lane)
		got := map[string]results.Component{}
		for _, c := range r.Components {
			got[c.Role] = c
		}
		for _, role := range roles {
			c, ok := got[role]
			if assert.True(t, ok, "%s: no %s component", lane, role) {
				if role != results.RoleControlPlane { // idle during the window: may round to 0
					assert.Greater(t, c.CPUSeconds, 0.0, "%s %s CPU", lane, role)
				}
				assert.Greater(t, c.RSSBytesSteady, int64(0), "%s %s memory", lane, role)
			}
		}
	}
	if f := lanes["mesh"].Mesh; assert.NotNil(t, f) {
		assert.True(t, f.XDS, "the sidecars are configured over xDS by meshcontrol")
	}
	assert.Empty(t, kindContainers(t, name), "the cluster the run created is deleted on exit")
}
