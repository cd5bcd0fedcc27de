package ci

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// actionlint lints workflow files with the actionlint the module pins as a
// tool dependency (go.mod's tool directive), from the module root.
func actionlint(t *testing.T, files ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"tool", "actionlint", "-no-color"}, files...)...)
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err == nil {
		return 0, string(out)
	}
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "go tool actionlint did not run: %s", out)
	return ee.ExitCode(), string(out)
}

func TestWorkflowPassesActionlint(t *testing.T) {
	code, out := actionlint(t, "ci/github/perf-gate.yml")
	assert.Equal(t, 0, code, out)
}

// TestActionlintCatchesABrokenWorkflow: the lint can fail - an undefined
// context and a job without runs-on.
func TestActionlintCatchesABrokenWorkflow(t *testing.T) {
	code, out := actionlint(t, "ci/testdata/broken-workflow.yml")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, `undefined variable "githb"`)
	assert.Contains(t, out, "runs-on")
}
