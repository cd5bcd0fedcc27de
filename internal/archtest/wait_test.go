package archtest

import (
	"go/ast"
	"testing"

	"github.com/stretchr/testify/assert"
)

// loopsThatAreNotWaits are the harness's loops that sleep or time out
// inside their body and are not waits for a condition, each with why. The
// list must only shrink: an entry whose loop is gone fails the test.
var loopsThatAreNotWaits = map[string]string{
	"harness/controlplane/run.go: runPlane":      "churn pacing: changes written at a fixed rate, as load is offered",
	"harness/measure/cgroup.go: removeWhenEmpty": "background clean-up of a probe's cgroup after its process exits; nobody awaits it",
}

// TestOneWait: a wait for a condition in the harness, the CLI and internal
// packages goes through internal/await (bounded, ended at once by its
// context, an error naming what was awaited, the bound and the last state
// seen), not a hand-written loop around time.Sleep or time.After. The mesh
// under test is not held to it: its loops are protocol retries and
// tickers, and the proxy stays free of the harness's dependencies.
func TestOneWait(t *testing.T) {
	found := map[string]bool{}
	eachProductionFile(t, []string{"harness", "cli", "cmd", "internal"}, func(rel string, f *ast.File) {
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Body != nil && sleepsInALoop(fn.Body) {
				found[rel+": "+fn.Name.Name] = true
			}
		}
	})
	for where := range found {
		if _, ok := loopsThatAreNotWaits[where]; !ok {
			t.Errorf("%s: a loop around time.Sleep/After/Tick: wait with internal/await.Until, or, if it is not a wait, add it to loopsThatAreNotWaits with why", where)
		}
	}
	for where := range loopsThatAreNotWaits {
		assert.True(t, found[where], "%s is listed in loopsThatAreNotWaits but has no such loop now: remove the entry", where)
	}
}

// sleepsInALoop reports whether body calls time.Sleep, time.After or
// time.Tick inside a for or range statement of the same function (a
// function literal is a function of its own).
func sleepsInALoop(body *ast.BlockStmt) bool {
	var walk func(n ast.Node, inLoop bool) bool
	walk = func(n ast.Node, inLoop bool) bool {
		hit := false
		ast.Inspect(n, func(c ast.Node) bool {
			if hit || c == nil || c == n {
				return !hit
			}
			switch c := c.(type) {
			case *ast.FuncLit:
				hit = walk(c.Body, false)
				return false
			case *ast.ForStmt:
				hit = walk(c.Body, true)
				return false
			case *ast.RangeStmt:
				hit = walk(c.Body, true)
				return false
			case *ast.CallExpr:
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok && inLoop {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "time" && (sel.Sel.Name == "Sleep" || sel.Sel.Name == "After" || sel.Sel.Name == "Tick") {
						hit = true
					}
				}
			}
			return !hit
		})
		return hit
	}
	return walk(body, false)
}
