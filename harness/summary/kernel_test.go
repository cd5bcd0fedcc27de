package summary

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/results"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func split(role string, us, sys float64) results.Component {
	return results.Component{Role: role, CPUUsPerRequest: us, CPUSystemUsPerRequest: &sys, RSSBytesPeak: 20 << 20}
}

func noSplit(role string, us float64) results.Component {
	return results.Component{Role: role, CPUUsPerRequest: us, CPUSplitAbsent: measure.NoSplitKubelet, RSSBytesPeak: 20 << 20}
}

// The kernel share is printed under the CPU columns per component, from
// valid runs only, and a component whose source cannot split shows n/a
// with the reason once.
func TestKernelShareUnderTheCPUColumns(t *testing.T) {
	rs := []*results.Result{
		res("none", "", 0.1, 1000, true, split(results.RoleApp, 60, 36), split(results.RoleLoadgen, 100, 70)),
		res("mesh", "both", 0.5, 1000, true, split(results.RoleClientProxy, 80, 56), split(results.RoleServerProxy, 70, 49), split(results.RoleApp, 60, 36)),
		res("mesh", "both", 0.6, 1000, true, split(results.RoleClientProxy, 90, 60), split(results.RoleServerProxy, 74, 50), split(results.RoleApp, 62, 37)),
		res("haproxy", "", 0.4, 1000, false, split(results.RoleClientProxy, 977, 11)), // invalid: never shown
		res("istio", "both", 0.7, 1000, true, noSplit(results.RoleClientProxy, 300), noSplit(results.RoleServerProxy, 280)),
		// written before the split existed: nothing to say, not n/a
		res("nginx", "", 0.4, 1000, true, results.Component{Role: results.RoleClientProxy, CPUUsPerRequest: 90}),
	}
	var b bytes.Buffer
	Print(&b, rs)
	golden(t, "kernel.golden", b.Bytes())
	assert.Contains(t, b.String(), "client-proxy 58.0/85.0 68%", "medians: (56+60)/2 of (80+90)/2, share of (70%, 66.7%)")
	assert.NotContains(t, b.String(), "977", "an invalid run's numbers")
	assert.Contains(t, b.String(), "n/a: "+measure.NoSplitKubelet)
	assert.NotRegexp(t, `(?m)^  nginx .*client-proxy`, b.String(), "an old result has no kernel line")
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "%s differs; if the change is intended, run go test ./harness/summary -update", path)
}
