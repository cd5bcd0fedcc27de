package kind_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/cluster"
	"github.com/meshbench/meshbench/internal/testbin"
	kindconfig "github.com/meshbench/meshbench/kind-config"
)

// TestKindSIGINTLeavesNothing presses Ctrl-C on `meshbench run --platform
// kind` as soon as the cluster's node container exists, i.e. while kind is
// still creating it: SIGINT goes to the whole process group, as a
// terminal sends it, so the docker commands kind runs die too. The run
// must end soon with an error and leave no container of that cluster.
func TestKindSIGINTLeavesNothing(t *testing.T) {
	image := needKind(t, kindconfig.OneNode)
	const name = "meshbench-sigint"
	bin := testbin.StaticDir(t) // built before the clock starts
	t.Cleanup(func() { _ = cluster.NewManager(slog.New(slog.DiscardHandler)).Delete(name, "") })
	require.Empty(t, kindContainers(t, name), "kind cluster %s exists already (left by an earlier run?)", name)

	scen := filepath.Join(t.TempDir(), "kind-e2e.yaml")
	require.NoError(t, os.WriteFile(scen, []byte(e2eScenario), 0o644))
	run := exec.Command(filepath.Join(bin, "meshbench"), "run", "-f", scen, "--platform", "kind", "-o", t.TempDir(), "--no-report")
	run.Env = append(os.Environ(), "MESHBENCH_KIND_CLUSTER="+name, "MESHBENCH_NODE_IMAGE="+image, "MESHBENCH_KIND_CONFIG=one-node")
	run.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, run.Start())
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()

	deadline := time.Now().Add(3 * time.Minute)
	for kindContainers(t, name) == "" {
		select {
		case err := <-done:
			t.Fatalf("meshbench ended before the cluster's container existed: %v", err)
		default:
		}
		require.True(t, time.Now().Before(deadline), "no container of cluster %s within 3 min", name)
		time.Sleep(200 * time.Millisecond)
	}
	require.NoError(t, syscall.Kill(-run.Process.Pid, syscall.SIGINT))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	select {
	case err := <-done:
		var ee *exec.ExitError
		require.True(t, errors.As(err, &ee), "an interrupted run fails: %v", err)
	case <-ctx.Done():
		_ = syscall.Kill(-run.Process.Pid, syscall.SIGKILL)
		t.Fatal("meshbench did not end within 2 min of SIGINT")
	}
	assert.Empty(t, kindContainers(t, name), "SIGINT during cluster creation leaves no container behind")
}
