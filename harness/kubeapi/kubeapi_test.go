package kubeapi

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	assert.ElementsMatch(t, Binaries, children(t, bin), "both run, as children of this process")
	require.NoError(t, s.Stop())
	stopped = true
	_, err = cs.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
	assert.Error(t, err, "nothing serves after Stop")
	assert.Empty(t, children(t, bin), "nothing runs after Stop")
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
	assert.Empty(t, children(t, bin))
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

// children lists the names of this process's live child processes whose
// executable is in dir.
func children(t *testing.T, dir string) []string {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	require.NoError(t, err)
	var out []string
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 2 || f[0] == "Z" || f[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		exe, err := os.Readlink(filepath.Join(filepath.Dir(p), "exe"))
		if err == nil && filepath.Dir(exe) == dir {
			out = append(out, filepath.Base(exe))
		}
	}
	return out
}

func TestBinDirNamesWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(BinDirEnv, dir)
	_, err := BinDir()
	require.ErrorIs(t, err, ErrNoBinaries)
	assert.ErrorContains(t, err, filepath.Join(dir, "etcd"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "etcd"), []byte("#!/bin/sh\n"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kube-apiserver"), []byte("not executable"), 0o644))
	_, err = BinDir()
	assert.ErrorContains(t, err, filepath.Join(dir, "kube-apiserver"), "a file that cannot run is missing too")
	require.NoError(t, os.Chmod(filepath.Join(dir, "kube-apiserver"), 0o755))
	got, err := BinDir()
	require.NoError(t, err)
	assert.Equal(t, dir, got)
}

func TestStartWithoutBinaries(t *testing.T) {
	_, err := Start(context.Background(), Options{Dir: t.TempDir()})
	require.ErrorIs(t, err, ErrNoBinaries)
	_, err = Start(context.Background(), Options{BinDir: t.TempDir(), Dir: t.TempDir(), StartTimeout: 5 * time.Second})
	require.Error(t, err, "a directory without the binaries fails to start, and says where the logs are")
}
