package conformance

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMakefileFuzzListsEveryTarget: `make fuzz` runs every fuzz target in
// the repository (FUZZ_TARGETS names each as ./package:Function).
func TestMakefileFuzzListsEveryTarget(t *testing.T) {
	root := filepath.Dir(filepath.Dir(securityDoc(t)))
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(\./[\w/.-]+:Fuzz\w+)`).FindAllString(string(mk), -1) {
		listed[m] = true
	}
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	found := map[string]bool{}
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, m := range fuzzFunc.FindAllStringSubmatch(string(src), -1) {
			found["./"+filepath.ToSlash(rel)+":"+m[1]] = true
		}
		return nil
	}))
	assert.Equal(t, found, listed, "Makefile FUZZ_TARGETS and the repository's fuzz targets")
	assert.GreaterOrEqual(t, len(found), 5)
}
