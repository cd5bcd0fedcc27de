package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/platform/local"
	"github.com/meshbench/meshbench/harness/results"
)

// cgroup2Magic is CGROUP2_SUPER_MAGIC.
const cgroup2Magic = 0x63677270

// cgroup2Mount is the cgroup v2 hierarchy (unified or hybrid), "" if none.
func cgroup2Mount() string {
	for _, d := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st syscall.Statfs_t
		if syscall.Statfs(d, &st) == nil && st.Type == cgroup2Magic {
			return d
		}
	}
	return ""
}

// ownCgroup2 is this process's cgroup v2 path, relative to the mount.
func ownCgroup2(t *testing.T) string {
	data, err := os.ReadFile("/proc/self/cgroup")
	require.NoError(t, err)
	for _, l := range strings.Split(string(data), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			return p
		}
	}
	t.Fatal("no cgroup v2 line in /proc/self/cgroup")
	return ""
}

func cgroupCPU(t *testing.T, dir string) float64 {
	data, err := os.ReadFile(filepath.Join(dir, "cpu.stat"))
	require.NoError(t, err)
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "usage_usec "); ok {
			us, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			require.NoError(t, err)
			return float64(us) / 1e6
		}
	}
	t.Fatalf("%s/cpu.stat has no usage_usec", dir)
	return 0
}

func selfCPU(t *testing.T) float64 {
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// The per-component CPU of a mesh run adds up to the CPU of the whole
// process tree the platform started: the test runs the harness in a cgroup
// of its own (so every process it starts, probed or not, is charged there),
// nests the components' cgroups inside it, and reads the tree's counter at
// the measured window's edges. The tree minus the harness's own process
// (getrusage) must be within 5% of the components' sum: a process the
// platform started but does not measure, or CPU a probe loses, shows here.
func TestComponentCPUSumsToTheProcessTree(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test makes cgroups and moves processes into them")
	}
	mount := cgroup2Mount()
	if mount == "" {
		t.Skip("no cgroup v2 hierarchy (pure cgroup v1 host): the tree's total cannot be read")
	}
	tree := filepath.Join(mount, fmt.Sprintf("meshbench-tree-test-%d", os.Getpid()))
	harness := filepath.Join(tree, "harness")
	require.NoError(t, os.MkdirAll(harness, 0o755))
	back := filepath.Join(mount, ownCgroup2(t))
	pid := []byte(strconv.Itoa(os.Getpid()))
	if err := os.WriteFile(filepath.Join(harness, "cgroup.procs"), pid, 0o644); err != nil {
		_ = os.Remove(harness)
		_ = os.Remove(tree)
		t.Skipf("cannot move the test into a cgroup here: %v", err)
	}
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(back, "cgroup.procs"), pid, 0o644)
		// the components' cgroups go once their processes have exited
		assert.Eventually(t, func() bool {
			for _, d := range []string{filepath.Join(tree, measure.CgroupParent), harness, tree} {
				if err := os.Remove(d); err != nil && !errors.Is(err, os.ErrNotExist) {
					return false
				}
			}
			return true
		}, 10*time.Second, 200*time.Millisecond, "cgroup %s removed", tree)
	})

	ctx := context.Background()
	plat := local.New(bins(), local.WithWorkDir(t.TempDir()), local.WithCgroupRoot(tree))
	defer plat.Close(ctx)
	c := results.Case{QPS: 300, Connections: 8, PayloadBytes: 1024, Protocol: "http1"}
	topo, err := plat.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth, Case: c,
		Mesh: platform.MeshOptions{Workers: 1, Telemetry: true}})
	require.NoError(t, err)
	defer topo.Down(ctx)
	lo := load.Options{QPS: c.QPS, Connections: c.Connections, PayloadBytes: c.PayloadBytes, Protocol: c.Protocol,
		Uniform: true, Duration: time.Second}
	_, err = topo.Load(ctx, lo) // warm-up
	require.NoError(t, err)

	probes := topo.Probes()
	tree0, self0 := cgroupCPU(t, tree), selfCPU(t)
	win, err := measure.Start(ctx, probes, 0)
	require.NoError(t, err)
	lo.Duration = 3 * time.Second
	rep, err := topo.Load(ctx, lo)
	require.NoError(t, err)
	comps, err := win.Finish(ctx, rep.Requests, rep.DurationS)
	require.NoError(t, err)
	treeCPU := cgroupCPU(t, tree) - tree0 - (selfCPU(t) - self0)

	var sum float64
	roles := map[string]bool{}
	for _, cp := range comps {
		assert.Equal(t, "cgroup", cp.CPUSource, "%s is measured by its own cgroup", cp.Name)
		sum += cp.CPUSeconds
		roles[cp.Role] = true
	}
	for _, r := range []string{results.RoleLoadgen, results.RoleApp, results.RoleClientProxy, results.RoleServerProxy, results.RoleControlPlane} {
		assert.True(t, roles[r], "component %s measured", r)
	}
	t.Logf("components %.3f s, process tree without the harness %.3f s (%d requests)", sum, treeCPU, rep.Requests)
	require.Greater(t, treeCPU, 0.1, "the tree did work")
	assert.InEpsilon(t, treeCPU, sum, 0.05, "components' CPU within 5%% of the process tree's")
}
