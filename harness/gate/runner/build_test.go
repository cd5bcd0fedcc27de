package runner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUseBaseHarness(t *testing.T) {
	root := t.TempDir()
	base := Side{Name: Base, BinDir: filepath.Join(root, "base")}
	cand := Side{Name: Candidate, BinDir: filepath.Join(root, "cand-mesh"), ProxyArgs: []string{"--x"}}
	for dir, names := range map[string][]string{base.BinDir: {"meshbench", "meshproxy", "meshcontrol"}, cand.BinDir: {"meshproxy", "meshcontrol", "meshbench"}} {
		for _, n := range names {
			require.NoError(t, writeFile(filepath.Join(dir, n), dir+"/"+n))
		}
	}
	got, err := UseBaseHarness(base, cand, filepath.Join(root, "cand"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "cand"), got.BinDir)
	assert.Equal(t, cand.ProxyArgs, got.ProxyArgs)
	for name, want := range map[string]string{
		"meshbench":   base.BinDir + "/meshbench", // the yardstick: the base's, even though the candidate built one
		"meshproxy":   cand.BinDir + "/meshproxy",
		"meshcontrol": cand.BinDir + "/meshcontrol",
	} {
		data, err := os.ReadFile(filepath.Join(got.BinDir, name))
		require.NoError(t, err)
		assert.Equal(t, want, string(data), name)
	}

	_, err = UseBaseHarness(Side{BinDir: filepath.Join(root, "none")}, cand, filepath.Join(root, "c2"))
	assert.ErrorContains(t, err, "base harness binary")
	_, err = UseBaseHarness(base, cand, cand.BinDir)
	assert.ErrorContains(t, err, "give another")
}

func TestMeshOnly(t *testing.T) {
	assert.Equal(t, []string{"./mesh-under-test/cmd/..."}, MeshOnly(DefaultPackages))
	assert.Equal(t, []string{"./x"}, MeshOnly([]string{"cmd/meshbench", "./x"}))
}
