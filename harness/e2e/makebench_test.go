package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/harness/scenario"
)

// TestMakeBenchPath runs exactly what the README's `make bench` runs - the
// built meshbench, `run -f scenarios/synthetic/quick.yaml --platform local`
// from the repository root with the default relative output directory
// (results/quick-<time>/) - on the scenario's short profile, and checks
// what a newcomer relies on: exit 0, one result per planned run, the
// terminal summary and the report files. The output directory is removed
// afterwards.
func TestMakeBenchPath(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	const scen = "scenarios/synthetic/quick.yaml"
	s, err := scenario.Load(filepath.Join(root, scen))
	require.NoError(t, err)
	require.NoError(t, s.ApplyProfile("short"))

	cmd := exec.Command(filepath.Join(binDir, "meshbench"), "run", "-f", scen, "--platform", "local", "--profile", "short")
	cmd.Dir = root
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	err = cmd.Run()
	took := time.Since(began)

	m := regexp.MustCompile(`results in (results/quick-\d{8}-\d{6})\n`).FindStringSubmatch(stdout.String())
	if m != nil {
		out := filepath.Join(root, m[1])
		t.Cleanup(func() {
			_ = os.RemoveAll(out)
			_ = os.Remove(filepath.Join(root, "results")) // only if now empty
		})
	}
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	require.NotNil(t, m, "the summary names the default relative output directory:\n%s", stdout.String())
	t.Logf("make bench path, short profile: %s", took.Round(time.Second))
	out := filepath.Join(root, m[1])

	rs, err := results.ReadAll(out)
	require.NoError(t, err)
	lanes := s.Lanes
	require.Len(t, rs, len(lanes)*s.Repetitions, "one result per planned run")
	made, valid := map[string]int{}, 0
	for _, r := range rs {
		if r.Valid {
			valid++
		}
		assert.Nil(t, r.Failure, "%s failed: %+v", r.Key(), r.Failure)
		if r.Unavailable != "" { // a reference proxy not installed here
			continue
		}
		made[r.LaneLabel()]++
		l := r.Latency
		assert.Greater(t, r.Requests, int64(0), r.Key())
		assert.Greater(t, l.P50, 0.0, r.Key())
		assert.LessOrEqual(t, l.P50, l.P99, r.Key())
		assert.InDelta(t, s.Duration.Seconds(), r.DurationS, 1, "%s: the short profile's window", r.Key())
	}
	for _, l := range []string{"none", "mesh/both", "httputil"} {
		assert.Equal(t, s.Repetitions, made[l], "lane %s made every run", l)
	}

	sum := stdout.String()
	assert.Contains(t, sum, "p50 ms", "the summary table")
	for _, l := range lanes {
		assert.Regexp(t, `(?m)^\s+`+regexp.QuoteMeta(l)+`\s+qps1000-c16-1024B-http1-mtls\s`, sum, "a summary row for lane %s", l)
	}
	assert.Contains(t, sum, "report: "+m[1]+"/report.html")

	for _, f := range []string{"report.html", "summary.md"} {
		data, err := os.ReadFile(filepath.Join(out, f))
		require.NoError(t, err, f)
		for _, l := range []string{"none", "mesh/both"} {
			assert.Contains(t, string(data), l, "%s names lane %s", f, l)
		}
	}
	pngs, err := filepath.Glob(filepath.Join(out, "*.png"))
	require.NoError(t, err)
	if valid > 0 {
		assert.NotEmpty(t, pngs, "the report's plots")
	} else {
		// A busy shared machine can starve the load generator in every run;
		// the report then draws nothing from invalid runs.
		t.Log("no valid run: the report has no plots")
	}
	for _, p := range pngs {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Greater(t, fi.Size(), int64(1000), p)
	}
}
