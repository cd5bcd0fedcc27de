package kubeapi

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestStartServesAndStops runs the real etcd and kube-apiserver: the
// kubeconfig written reaches it, the namespaces asked for exist, and Stop
// leaves nothing listening.
func TestStartServesAndStops(t *testing.T) {
	bin := binDirOrSkip(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	s, err := Start(ctx, Options{BinDir: bin, Dir: dir, Namespaces: []string{"istio-system", "bench"}})
	require.NoError(t, err)
	stopped := false
	defer func() {
		if !stopped {
			s.Stop()
		}
	}()
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	require.NoError(t, err, "the kubeconfig file is what another process reads")
	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	for _, ns := range []string{"default", "istio-system", "bench"} {
		_, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		assert.NoError(t, err, ns)
	}
	pids := s.PIDs()
	assert.ElementsMatch(t, Binaries, slices.Collect(maps.Keys(pids)), "both run, as children of this process")
	for name, pid := range pids {
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(bin, name), exe)
	}
	require.NoError(t, s.Stop())
	stopped = true
	_, err = cs.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
	assert.Error(t, err, "nothing serves after Stop")
	assert.Empty(t, children(bin), "nothing runs after Stop")
	assert.FileExists(t, filepath.Join(dir, "kube-apiserver.log"))
}

// TestStartCancelledLeavesNothing: a start interrupted (SIGINT cancels a
// run's context) returns the context's error and stops what it started.
func TestStartCancelledLeavesNothing(t *testing.T) {
	bin := binDirOrSkip(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	s, err := Start(ctx, Options{BinDir: bin, Dir: t.TempDir()})
	require.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, s)
	assert.Empty(t, children(bin))
}

// binDirOrSkip returns BinDir, or skips the test (under -short, or when
// etcd or kube-apiserver is missing: a machine without the node image's
// build cache).
func binDirOrSkip(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs etcd and kube-apiserver")
	}
	bin, err := BinDir()
	if err != nil {
		t.Skipf("%v", err)
	}
	return bin
}
