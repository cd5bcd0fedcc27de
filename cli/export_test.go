package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"fortio.org/fortio/fhttp"
	"fortio.org/fortio/periodic"
	fortiolog "fortio.org/log"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The meshbench result the export package's tests use: one mesh/both run.
const exportFixture = "../harness/export/testdata/mesh-both.json"

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		args  []string
		code  int
		files []string
		err   string
	}{
		{"fortio", []string{"export", "--format", "fortio", "-o", filepath.Join(dir, "f"), exportFixture}, 0,
			[]string{"f/mesh-both.json"}, ""},
		{"smp", []string{"export", "--format", "smp", "-o", filepath.Join(dir, "s"), exportFixture}, 0,
			[]string{"s/mesh-both.smp-result.json", "s/mesh-both.smp-mesh.json", "s/mesh-both.smp-env.json"}, ""},
		{"benchfmt, two named sets", []string{"export", "--format", "benchfmt", "-o", filepath.Join(dir, "b"),
			"base=" + exportFixture, "candidate=" + exportFixture}, 0, []string{"b/base.txt", "b/candidate.txt"}, ""},
		{"fortio, two sets in subdirectories", []string{"export", "--format", "fortio", "-o", filepath.Join(dir, "f2"),
			exportFixture, exportFixture}, 0, []string{"f2/mesh-both/mesh-both.json", "f2/mesh-both-2/mesh-both.json"}, ""},
		{"unknown format", []string{"export", "--format", "csv", "-o", dir, exportFixture}, 3, nil, `--format "csv"`},
		{"no format", []string{"export", "-o", dir, exportFixture}, 3, nil, `"format" not set`},
		{"no results", []string{"export", "--format", "fortio", "-o", dir, t.TempDir()}, 3, nil, "no meshbench results found"},
		{"missing path", []string{"export", "--format", "fortio", "-o", dir, "nope/"}, 3, nil, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(tt.args...)
			require.Equal(t, tt.code, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			assert.Contains(t, errOut, tt.err)
			for _, f := range tt.files {
				assert.FileExists(t, filepath.Join(dir, f))
			}
		})
	}
}

// writeFortioRuns runs fortio's load generator n times against fortio's
// echo server (each run 300 ms at 200 qps) and writes each result as
// `fortio load -json` does.
func writeFortioRuns(t *testing.T, dir string, n int, query string) {
	t.Helper()
	fortiolog.SetLogLevelQuiet(fortiolog.Error)
	srv := httptest.NewServer(http.HandlerFunc(fhttp.EchoHandler))
	defer srv.Close()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for i := range n {
		o := fhttp.HTTPRunnerOptions{RunnerOptions: periodic.RunnerOptions{QPS: -1, NumThreads: 2,
			Exactly: 100, Percentiles: []float64{50, 75, 90, 99, 99.9}, Out: io.Discard}}
		o.URL = srv.URL + "/" + query
		res, err := fhttp.RunHTTPTest(&o)
		require.NoError(t, err)
		data, err := json.MarshalIndent(res, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("run%d.json", i)), data, 0o644))
	}
}

func TestCompareReadsFortioJSON(t *testing.T) {
	dir := t.TempDir()
	base, slow := filepath.Join(dir, "base"), filepath.Join(dir, "slow")
	// Six runs a side: the smallest one-sided U p-value is then 1/924,
	// below the Holm-adjusted alpha of the gated latency metrics.
	writeFortioRuns(t, base, 6, "")
	writeFortioRuns(t, slow, 6, "?delay=1ms") // the echo server waits 1 ms per request
	code, out, errOut := runCLI("compare", base, slow, "--json", filepath.Join(dir, "c.json"))
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "verdict: FAIL")
	assert.Contains(t, out, "fortio qpsmax-c2-0B-http1")
	assert.Contains(t, out, "latency_p50_ms")
}
