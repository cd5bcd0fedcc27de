package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneMedian: the median is defined once in production code
// (harness/gate/stats: Median and its sorted-slice helper); every other
// package calls stats.Median (a function named median elsewhere must
// delegate to it, as aggregate's Group.Median does). A second definition is how the summary and
// the report once disagreed (issue 16 counted seven).
func TestOneMedian(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	var found []string
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || name == ".git" || strings.HasPrefix(name, ".") && path != root {
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
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && strings.EqualFold(fn.Name.Name, "median") && !callsStatsMedian(fn) {
				rel, _ := filepath.Rel(root, path)
				found = append(found, filepath.ToSlash(rel)+": "+fn.Name.Name)
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"harness/gate/stats/hodgeslehmann.go: median", "harness/gate/stats/hodgeslehmann.go: Median"}, found,
		"one median implementation: call stats.Median")
}

// callsStatsMedian reports whether fn's body calls stats.Median.
func callsStatsMedian(fn *ast.FuncDecl) bool {
	found := false
	ast.Inspect(fn, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Median" {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "stats" {
				found = true
			}
		}
		return !found
	})
	return found
}
