package cli

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// writeSet writes n synthetic mesh runs whose proxy CPU is scaled.
func writeSet(t *testing.T, dir, build string, n int, cpuScale float64, machine string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(len(dir)), uint64(n)))
	for i := range n {
		noise := func() float64 { return 1 + 0.005*rng.NormFloat64() }
		r := &results.Result{Schema: results.Schema, Scenario: "gate", Lane: "mesh", Mode: "both",
			Case: results.Case{Name: "c"}, Order: i, Repetition: i + 1, Requests: 1000, Valid: true,
			Labels:      map[string]string{"build": build},
			Environment: results.Environment{MachineID: machine, CPUModel: machine, Cores: 2, GitRevision: "abc"},
			Latency:     results.Percentiles{P50: noise(), P90: 2 * noise(), P99: 4 * noise(), P999: 8 * noise()},
			Components: []results.Component{
				{Role: results.RoleClientProxy, CPUUsPerRequest: 50 * cpuScale * noise(), RSSBytesSteady: 20 << 20},
				{Role: results.RoleServerProxy, CPUUsPerRequest: 50 * cpuScale * noise(), RSSBytesSteady: 20 << 20},
			}}
		_, err := results.Write(dir, r)
		require.NoError(t, err)
	}
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Streams{Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestCompareExitCodes(t *testing.T) {
	dir := t.TempDir()
	base, same, slow, other := filepath.Join(dir, "base"), filepath.Join(dir, "same"), filepath.Join(dir, "slow"), filepath.Join(dir, "other")
	writeSet(t, base, "base", 12, 1, "m1")
	writeSet(t, same, "candidate", 12, 1, "m1")
	writeSet(t, slow, "candidate", 12, 1.2, "m1")
	writeSet(t, other, "candidate", 12, 1, "m2")
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"A/A passes", []string{"compare", base, same}, 0, "verdict: PASS"},
		{"20% CPU fails", []string{"compare", base, slow, "--json", filepath.Join(dir, "c.json")}, 1, "verdict: FAIL"},
		{"cross-machine refused", []string{"compare", base, other}, 3, ""},
		{"cross-machine allowed", []string{"compare", base, other, "--allow-cross-machine"}, 0, "cross-machine comparison allowed"},
		{"unknown baseline", []string{"compare", base, "nope", "--store", dir}, 3, ""},
		{"one dir without labels split", []string{"compare", base}, 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(tt.args...)
			assert.Equal(t, tt.code, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			assert.Contains(t, out, tt.out)
		})
	}
	c, err := results.ReadComparison(filepath.Join(dir, "c.json"))
	require.NoError(t, err)
	assert.Equal(t, results.Fail, c.Verdict)
}

func TestBaselineCommands(t *testing.T) {
	dir := t.TempDir()
	src, store := filepath.Join(dir, "runs"), filepath.Join(dir, "store")
	writeSet(t, src, "base", 5, 1, "m1")

	code, out, errOut := runCLI("baseline", "save", "main-1", src, "--store", store, "--note", "first")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "saved baseline main-1: 5 runs")

	code, _, errOut = runCLI("baseline", "save", "main-1", src, "--store", store)
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, "immutable")

	code, out, _ = runCLI("baseline", "save", "main-1", src, "--store", store, "--force")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "replaced baseline main-1")

	code, out, _ = runCLI("baseline", "list", "--store", store)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "main-1")

	code, out, _ = runCLI("baseline", "show", "main-1", "--store", store)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "revisions [abc]")

	// A saved baseline is a valid compare operand.
	cand := filepath.Join(dir, "cand")
	writeSet(t, cand, "candidate", 5, 1, "m1")
	code, out, errOut = runCLI("compare", "main-1", cand, "--store", store)
	assert.NotEqual(t, 3, code, "stdout %s stderr %s", out, errOut)
}

func TestHistoryCommands(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "h.jsonl")
	for i := range 3 {
		src := filepath.Join(dir, "runs", string(rune('a'+i)))
		writeSet(t, src, "base", 3, 1, "m1")
		code, out, errOut := runCLI("history", "add", src, "--file", file, "--rev", "r"+string(rune('0'+i)))
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, out, "appended")
	}
	code, out, errOut := runCLI("history", "report", "--file", file, "--p", "0.05")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "no change points")
}

func TestGateUsageErrors(t *testing.T) {
	code, _, errOut := runCLI("gate", "-f", filepath.Join("..", "scenarios", "synthetic", "gate.yaml"))
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, "--base")
	code, _, _ = runCLI("gate", "-f", "missing.yaml", "--base", "HEAD", "--candidate", "HEAD")
	assert.Equal(t, 3, code)
}
