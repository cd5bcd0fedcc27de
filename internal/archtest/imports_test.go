package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/internal/testbin"
)

const module = "github.com/meshbench/meshbench/"

// rule forbids packages under from importing packages under any of to.
type rule struct {
	why   string
	from  []string
	to    []string
	tests bool // also the packages' test imports
}

// rules are docs/architecture.md's import rules, one line each there.
var rules = []rule{
	{why: "the mesh stands alone, as a product", from: []string{"mesh-under-test"},
		to: []string{"harness", "reports", "cmd", "cli", "internal/archtest"}, tests: true},
	{why: "the result model reads nobody", from: []string{"harness/results"},
		to: []string{"harness", "reports", "mesh-under-test", "cmd", "internal"}},
	{why: "reports read results and verdicts; they never start processes or touch a platform",
		from: []string{"reports"},
		to:   []string{"harness/platform", "harness/run", "harness/load", "harness/measure", "cli", "harness/gate/runner", "harness/cluster", "mesh-under-test"}},
	{why: "reports receive computed change points; they never compute them while rendering", from: []string{"reports"},
		to: []string{"harness/gate/history"}},
	{why: "the harness library never imports reports", from: []string{"harness"}, to: []string{"reports"}},
	{why: "verdicts never know how results were made", from: []string{"harness/gate"},
		to: []string{"harness/platform", "harness/cluster", "cli", "reports"}},
	{why: "platforms start things; they never decide verdicts or draw", from: []string{"harness/platform"},
		to: []string{"harness/gate", "reports", "cli"}},
	{why: "the library never imports the CLI", from: []string{"harness", "reports", "mesh-under-test"},
		to: []string{"cli", "cmd"}},
	{why: "production code never uses test helpers", from: []string{"harness", "reports", "mesh-under-test", "cmd"},
		to: []string{"*test"}},
}

// known are violations that exist today and are listed in
// docs/architecture.md under "Known exceptions"; each is to be removed, never
// added to. A fixed one must be deleted here, or the test fails.
var known = map[string]bool{}

func under(pkg, prefix string) bool {
	if strings.HasPrefix(prefix, "*") {
		return strings.HasSuffix(pkg, prefix[1:])
	}
	return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
}

// imports lists every package of the module with its own-module imports.
func imports(t *testing.T, withTests bool) map[string][]string {
	t.Helper()
	root, err := testbin.ModuleRoot()
	require.NoError(t, err)
	format := "{{.ImportPath}} {{join .Imports \" \"}}"
	if withTests {
		format = "{{.ImportPath}} {{join .Imports \" \"}} {{join .TestImports \" \"}} {{join .XTestImports \" \"}}"
	}
	cmd := exec.Command("go", "list", "-f", format, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err, "go list in %s", filepath.Base(root))
	got := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		pkg := strings.TrimPrefix(f[0], module)
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, module) {
				got[pkg] = append(got[pkg], strings.TrimPrefix(imp, module))
			}
		}
		if _, ok := got[pkg]; !ok {
			got[pkg] = nil
		}
	}
	require.NotEmpty(t, got)
	return got
}

func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	plain, withTests := imports(t, false), imports(t, true)
	seen := map[string]bool{}
	var broken []string
	for _, r := range rules {
		graph := plain
		if r.tests {
			graph = withTests
		}
		for pkg, imps := range graph {
			if !matchesAny(pkg, r.from) {
				continue
			}
			for _, imp := range imps {
				if imp == pkg || !matchesAny(imp, r.to) || (r.from[0] == "harness/gate" && under(imp, "harness/gate")) {
					continue
				}
				edge := pkg + " -> " + imp
				if known[edge] {
					seen[edge] = true
					continue
				}
				broken = append(broken, edge+" ("+r.why+")")
			}
		}
	}
	sort.Strings(broken)
	require.Empty(t, broken, "import rules of docs/architecture.md broken")
	for edge := range known {
		require.True(t, seen[edge], "%s no longer exists: delete it from known and from docs/architecture.md", edge)
	}
}

func matchesAny(pkg string, prefixes []string) bool {
	for _, p := range prefixes {
		if under(pkg, p) {
			return true
		}
	}
	return false
}

// TestRuleMatching checks the matcher itself, so the rules cannot pass
// because nothing matches.
func TestRuleMatching(t *testing.T) {
	for _, c := range []struct {
		pkg, prefix string
		want        bool
	}{
		{"harness/gate/runner", "harness/gate", true},
		{"harness/gatekeeper", "harness/gate", false},
		{"harness/gate", "harness/gate", true},
		{"mesh-under-test/proxy/tlsid/tlsidtest", "*test", true},
		{"harness/e2e", "*test", false},
	} {
		if got := under(c.pkg, c.prefix); got != c.want {
			t.Errorf("under(%q, %q) = %v, want %v", c.pkg, c.prefix, got, c.want)
		}
	}
}

// TestProxyLinksNoControlPlane: meshproxy talks to meshcontrol only through
// the seams (xdsconfig, caapi), so a proxy build carries no control-plane code.
func TestProxyLinksNoControlPlane(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the proxy's dependencies")
	}
	root, err := testbin.ModuleRoot()
	require.NoError(t, err)
	cmd := exec.Command("go", "list", "-deps", "./mesh-under-test/cmd/meshproxy")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err)
	for _, pkg := range strings.Fields(string(out)) {
		require.False(t, strings.HasPrefix(pkg, module+"mesh-under-test/control") || pkg == module+"mesh-under-test/meshconfig",
			"meshproxy links %s", pkg)
	}
}
