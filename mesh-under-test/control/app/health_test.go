package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHealthListenerServesOnlyReady: --health is what the manifest exposes
// on the pod IP for the kubelet; metrics and pprof stay on the admin port.
func TestHealthListenerServesOnlyReady(t *testing.T) {
	mesh := filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, os.WriteFile(mesh, []byte("services:\n  - {name: echo, endpoints: [{address: '127.0.0.1:7001'}]}\n"), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inst, err := Start(ctx, Config{MeshFile: mesh, Listen: "127.0.0.1:0", Admin: "127.0.0.1:0", Health: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer inst.Stop()
	get := func(url string) int {
		resp, err := http.Get(url)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	require.NotEmpty(t, inst.HealthAddr())
	assert.Equal(t, http.StatusOK, get("http://"+inst.HealthAddr()+"/ready"))
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap", "/"} {
		assert.Equal(t, http.StatusNotFound, get("http://"+inst.HealthAddr()+path), path)
	}
	assert.Equal(t, http.StatusOK, get("http://"+inst.AdminAddr()+"/metrics"))
}
