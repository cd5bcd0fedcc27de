package ci

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/internal/testbin"
	"github.com/meshbench/meshbench/schemas"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// gateSh runs ci/gate.sh from the module root with env added to this
// process's environment (GitHub's variables removed, so the test sees the
// plain-CI behaviour wherever it runs).
func gateSh(t *testing.T, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", "ci/gate.sh")
	cmd.Dir = ".."
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "GATE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return 0, string(out)
	}
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	return ee.ExitCode(), string(out)
}

func TestGateScriptRefusesBadInputs(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		env  []string
		msg  string
	}{
		{"no base", []string{"GATE_CANDIDATE_BIN=" + dir}, "give the base as exactly one of GATE_BASE_BIN"},
		{"base twice", []string{"GATE_BASE_BIN=" + dir, "GATE_BASE_REV=HEAD", "GATE_CANDIDATE_BIN=" + dir}, "give the base as exactly one of"},
		{"no candidate", []string{"GATE_BASE_REV=HEAD"}, "give the candidate as exactly one of GATE_CANDIDATE_BIN"},
		{"empty bin dir", []string{"GATE_BASE_BIN=" + dir, "GATE_CANDIDATE_BIN=" + dir}, dir + "/meshbench: not an executable"},
		{"missing scenario", []string{"GATE_BASE_REV=HEAD", "GATE_CANDIDATE_REV=HEAD", "GATE_SCENARIO=nope.yaml"}, "GATE_SCENARIO=nope.yaml: no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := gateSh(t, append(tt.env, "GATE_OUT="+t.TempDir())...)
			assert.Equal(t, 3, code, out)
			assert.Contains(t, out, tt.msg)
		})
	}
}

// copyBins copies the built binaries into a second directory: two binary
// sets, byte-identical, in different files (as base and head are in CI).
func copyBins(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	for _, b := range []string{"meshbench", "meshproxy", "meshcontrol"} {
		src, err := os.Open(filepath.Join(from, b))
		require.NoError(t, err)
		dst, err := os.OpenFile(filepath.Join(to, b), os.O_CREATE|os.O_WRONLY, 0o755)
		require.NoError(t, err)
		_, err = io.Copy(dst, src)
		require.NoError(t, err)
		require.NoError(t, src.Close())
		require.NoError(t, dst.Close())
	}
	return to
}

// TestGateScriptOnTwoBinarySets runs ci/gate.sh on the tiny gate scenario
// (7 rounds of 1 s runs, about 30 s each case on a 2-vCPU machine): an A/A
// exits 0 (PASS, or INCONCLUSIVE as a warning: 7 rounds of 1 s rarely show
// an A/A within every threshold), a candidate whose proxies spin 200 us per
// request exits 1. Both leave the report, the summary, the comparison and
// the runs, which validate against the JSON Schemas. The spin is large (about
// +100% of the proxies' CPU per request at 200 qps) because the test checks
// gate.sh's exit codes, not the gate's sensitivity: with 50 us (+30%) a slow,
// noisy machine gave proxies' CPU ±35% over 1 s runs and INCONCLUSIVE.
func TestGateScriptOnTwoBinarySets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the gate twice (about a minute): skipped with -short")
	}
	base := testbin.Dir(t)
	cand := copyBins(t, base)
	tests := []struct {
		name     string
		args     string
		code     int
		verdicts []string
	}{
		{"A/A", "", 0, []string{"PASS", "INCONCLUSIVE"}},
		{"injected regression", "--candidate-proxy-arg=--inject-spin=200us", 1, []string{"FAIL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			summary := filepath.Join(t.TempDir(), "step-summary.md")
			code, log := gateSh(t, "GATE_BASE_BIN="+base, "GATE_CANDIDATE_BIN="+cand, "GATE_OUT="+out,
				"GATE_SCENARIO=ci/testdata/tiny-gate.yaml", "GATE_ARGS="+tt.args, "GATE_SUMMARY_FILE="+summary)
			require.Equal(t, tt.code, code, log)

			verdict := strings.TrimSpace(read(t, filepath.Join(out, "verdict")))
			assert.Contains(t, tt.verdicts, verdict)
			reason := read(t, filepath.Join(out, "reason"))
			if verdict == "FAIL" {
				assert.Contains(t, reason, "regression in ")
				assert.Contains(t, log, "gate.sh: error: FAIL: regression in")
			}
			if verdict == "INCONCLUSIVE" {
				assert.Contains(t, log, "gate.sh: warning: INCONCLUSIVE: the evidence cannot tell")
			}
			md := read(t, filepath.Join(out, "summary.md"))
			assert.Contains(t, md, verdict+": tiny-gate")
			assert.Equal(t, md, read(t, summary), "the summary goes to the job summary file")
			assert.FileExists(t, filepath.Join(out, "report.html"))
			assert.NoError(t, schemas.Validate(schemas.Comparison, []byte(read(t, filepath.Join(out, "comparison.json")))))
			runs, err := filepath.Glob(filepath.Join(out, "runs", "*.json"))
			require.NoError(t, err)
			assert.NotEmpty(t, runs, "the runs behind the comparison are kept")
			for _, r := range runs {
				assert.NoError(t, schemas.Validate(schemas.Result, []byte(read(t, r))), r)
			}
		})
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// TestGateScriptVerdicts drives ci/gate.sh with a stand-in for meshbench
// (the exec seam): each gate exit code becomes the script's exit code,
// verdict file, reason and annotation.
func TestGateScriptVerdicts(t *testing.T) {
	bins := t.TempDir()
	for _, b := range []string{"meshbench", "meshproxy", "meshcontrol"} {
		require.NoError(t, os.WriteFile(filepath.Join(bins, b), []byte("#!/bin/sh\nexit 9\n"), 0o755))
	}
	fake, err := filepath.Abs("testdata/fake-meshbench")
	require.NoError(t, err)
	tests := []struct {
		name, verdict, exit string
		env                 []string
		code                int
		file, reason, line  string
	}{
		{"pass", "PASS", "0", nil, 0, "PASS", "every gated metric within its threshold", "gate.sh: PASS"},
		{"fail", "FAIL", "1", nil, 1, "FAIL", "regression in latency_p90_ms", "gate.sh: error: FAIL: regression in latency_p90_ms"},
		{"fail on GitHub", "FAIL", "1", []string{"GITHUB_ACTIONS=true"}, 1, "FAIL", "regression in latency_p90_ms",
			"::error title=performance gate::FAIL: regression in latency_p90_ms"},
		{"inconclusive warns", "INCONCLUSIVE", "2", nil, 0, "INCONCLUSIVE",
			"the evidence cannot tell a regression from noise in latency_p90_ms", "gate.sh: warning: INCONCLUSIVE: the evidence"},
		{"inconclusive on GitHub", "INCONCLUSIVE", "2", []string{"GITHUB_ACTIONS=true"}, 0, "INCONCLUSIVE", "latency_p90_ms",
			"::warning title=performance gate::INCONCLUSIVE: the evidence cannot tell a regression from noise in latency_p90_ms"},
		{"inconclusive strict", "INCONCLUSIVE", "2", []string{"GATE_STRICT=1"}, 2, "INCONCLUSIVE", "latency_p90_ms", "warning"},
		{"gate error", "ERROR", "3", nil, 3, "ERROR", "meshbench gate exited 3: meshbench: build candidate: exit status 1", "gate.sh: error: meshbench gate exited 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			summary := filepath.Join(t.TempDir(), "summary")
			env := append([]string{"GATE_BASE_BIN=" + bins, "GATE_CANDIDATE_BIN=" + bins, "GATE_MESHBENCH=" + fake,
				"GATE_OUT=" + out, "FAKE_VERDICT=" + tt.verdict, "FAKE_EXIT=" + tt.exit, "GITHUB_STEP_SUMMARY=" + summary}, tt.env...)
			code, log := gateSh(t, env...)
			assert.Equal(t, tt.code, code, log)
			assert.Equal(t, tt.file+"\n", read(t, filepath.Join(out, "verdict")))
			assert.Contains(t, read(t, filepath.Join(out, "reason")), tt.reason)
			assert.Contains(t, log, tt.line)
			assert.Equal(t, "## "+tt.verdict+": fake\n", read(t, summary), "summary.md appended to GITHUB_STEP_SUMMARY")
			assert.Contains(t, read(t, filepath.Join(out, "gate.log")), "verdict: "+tt.verdict)
		})
	}
}
