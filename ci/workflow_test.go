package ci

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
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

// TestWorkflowDoesWhatTheREADMESays checks the workflow's shape against
// ci/README.md: it runs on pull requests, builds the base commit and the
// head, runs ci/gate.sh on those two binary sets, and uploads the report,
// summary and runs even when the gate step failed.
func TestWorkflowDoesWhatTheREADMESays(t *testing.T) {
	data, err := os.ReadFile("github/perf-gate.yml")
	require.NoError(t, err)
	var wf struct {
		On   map[string]any `yaml:"on"`
		Jobs map[string]struct {
			Steps []struct {
				Name string            `yaml:"name"`
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				If   string            `yaml:"if"`
				Env  map[string]string `yaml:"env"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(data, &wf))
	assert.Contains(t, wf.On, "pull_request")
	job, ok := wf.Jobs["gate"]
	require.True(t, ok)
	var all, upload string
	for _, s := range job.Steps {
		all += s.Run + "\n"
		for _, v := range s.Env {
			all += v + "\n"
		}
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			upload = s.With["path"]
			assert.Equal(t, "always()", s.If, "the artifact is uploaded when the gate failed too")
		}
	}
	assert.Contains(t, all, "github.event.pull_request.base.sha", "the base is the pull request's base commit")
	assert.Contains(t, all, `-o "$RUNNER_TEMP/bin-head/" ./cmd/meshbench`)
	assert.Contains(t, all, `-o "$RUNNER_TEMP/bin-base/" ./cmd/meshbench`)
	assert.Contains(t, all, `GATE_BASE_BIN="$RUNNER_TEMP/bin-base" GATE_CANDIDATE_BIN="$RUNNER_TEMP/bin-head" ci/gate.sh`)
	for _, f := range []string{"report.html", "*.png", "summary.md", "comparison*.json", "gate.log", "verdict", "reason", "runs/"} {
		assert.Contains(t, upload, "/"+f)
	}
}
