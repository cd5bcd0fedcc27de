package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// eachProductionFile parses every non-test Go file of the module below
// dirs (the whole module when none), skipping testdata and hidden
// directories, and calls fn with its slash path from the module root.
func eachProductionFile(t *testing.T, dirs []string, fn func(rel string, f *ast.File)) {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		top := filepath.Join(root, dir)
		err := filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name := d.Name(); name == "testdata" || strings.HasPrefix(name, ".") && path != top {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			fn(filepath.ToSlash(rel), f)
			return nil
		})
		require.NoError(t, err)
	}
}
