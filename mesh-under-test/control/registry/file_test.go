package registry_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/control/registry"
)

// TestFileFollowsConfigMapStyleUpdates mounts the mesh file the way the
// kubelet does (file -> ..data/file, ..data -> a timestamped directory) and
// swaps ..data, which is all a ConfigMap update does.
func TestFileFollowsConfigMapStyleUpdates(t *testing.T) {
	dir := t.TempDir()
	write := func(version, doc string) {
		d := filepath.Join(dir, "..v"+version)
		require.NoError(t, os.Mkdir(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, "mesh.yaml"), []byte(doc), 0o644))
		tmp := filepath.Join(dir, "..data_tmp")
		require.NoError(t, os.Symlink("..v"+version, tmp))
		require.NoError(t, os.Rename(tmp, filepath.Join(dir, "..data")))
	}
	write("1", "services: [{name: a}]\n")
	path := filepath.Join(dir, "mesh.yaml")
	require.NoError(t, os.Symlink("..data/mesh.yaml", path))

	f, err := registry.NewFile(path, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := make(chan struct{}, 10)
	go f.Run(ctx, func() { changed <- struct{}{} })
	time.Sleep(100 * time.Millisecond) // let the watch start

	write("2", "services: [{name: a}, {name: b}]\n")
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("ConfigMap-style update not seen")
	}
	assert.Len(t, f.Snapshot().Services, 2)

	// An invalid version is refused; the last good one stays.
	write("3", "services: [{name: a, colour: blue}]\n")
	time.Sleep(200 * time.Millisecond)
	assert.Len(t, f.Snapshot().Services, 2)
}
