package local

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

// TestMeshLaneRecordsProxyBinarySize: a mesh lane's features carry the
// proxy binary's size (static mode: no meshcontrol, nothing started).
func TestMeshLaneRecordsProxyBinarySize(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int // -1: no such file
		want string
	}{
		{"binary present", 12345, "12345"},
		{"binary missing", -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "meshproxy")
			if tc.size >= 0 {
				require.NoError(t, os.WriteFile(path, make([]byte, tc.size), 0o755))
			}
			top := &topology{p: New(platform.Binaries{Meshproxy: path})}
			f, err := meshSetup(context.Background(), top, platform.Spec{}, nil)
			require.NoError(t, err)
			assert.Equal(t, tc.want, f.Extra[results.ExtraProxyBinaryBytes])
		})
	}
}
