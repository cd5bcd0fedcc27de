package testbin

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { Main(m) }

func TestDirBuildsOnceAndHoldsEveryBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the project's binaries")
	}
	dir := Dir(t)
	for _, name := range []string{"meshbench", "meshproxy", "meshcontrol"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.NotZero(t, fi.Mode()&0o111, "%s is executable", name)
	}
	assert.Equal(t, dir, Dir(t), "the second call reuses the first build")
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(root, "go.mod"))
}
