package archtest

import (
	"go/ast"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestOneMedian: the median is defined once in production code
// (harness/gate/stats: Median and its sorted-slice helper); every other
// package calls stats.Median (a function named median elsewhere must
// delegate to it, as aggregate's Group.Median does). A second definition is how the summary and
// the report once disagreed (issue 16 counted seven).
func TestOneMedian(t *testing.T) {
	var found []string
	eachProductionFile(t, nil, func(rel string, f *ast.File) {
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && strings.EqualFold(fn.Name.Name, "median") && !callsStatsMedian(fn) {
				found = append(found, rel+": "+fn.Name.Name)
			}
		}
	})
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
