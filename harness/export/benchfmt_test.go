package export

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"

	"github.com/meshbench/meshbench/harness/results"
)

func TestBenchfmtReadsBackWithBenchfmtReader(t *testing.T) {
	r := realResult(t)
	base := *r
	base.Labels = map[string]string{"build": "base"}
	dir := t.TempDir()
	files, err := Write(FormatBenchfmt, dir, []Set{{Name: "base", Results: []*results.Result{&base}},
		{Name: "candidate", Results: []*results.Result{r, r}}})
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "base.txt"), filepath.Join(dir, "candidate.txt")}, files)

	data, err := os.ReadFile(files[1])
	require.NoError(t, err)
	rd := benchfmt.NewReader(bytes.NewReader(data), files[1])
	var got []*benchfmt.Result
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.Result:
			got = append(got, rec.Clone())
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt syntax error: %v", rec)
		}
	}
	require.NoError(t, rd.Err())
	require.Len(t, got, 2)
	g := got[0]
	assert.Equal(t, "Meshbench/lane=mesh-both/case=qps100-c16-1024B-http1", g.Name.String())
	assert.Equal(t, int(r.Requests), g.Iters)
	assert.Equal(t, "candidate", g.GetConfig("build"))
	assert.Equal(t, r.Scenario, g.GetConfig("scenario"))
	for unit, want := range map[string]float64{
		"p50-sec": r.Latency.P50 / 1000, "p99-sec": r.Latency.P99 / 1000, "req/s": r.AchievedQPS, "errors": 3,
		"client-proxy-cpu-sec/req": r.Component(results.RoleClientProxy).CPUUsPerRequest / 1e6,
		"server-proxy-rss-B":       float64(r.Component(results.RoleServerProxy).RSSBytesSteady),
	} {
		v, ok := g.Value(unit)
		require.True(t, ok, unit)
		assert.InDelta(t, want, v, 1e-12, unit)
	}
	_, sub := g.Name.Parts()
	assert.Equal(t, [][]byte{[]byte("/lane=mesh-both"), []byte("/case=qps100-c16-1024B-http1")}, sub)
}

// TestBenchstatColumnsByBuild checks what docs/export.md tells users: one
// gate directory exported as one file is split into base and candidate
// columns by benchstat's `-col build` (benchproc is benchstat's projection
// library).
func TestBenchstatColumnsByBuild(t *testing.T) {
	r := realResult(t)
	base := *r
	base.Labels = map[string]string{"build": "base"}
	var buf bytes.Buffer
	require.NoError(t, WriteBenchfmt(&buf, []*results.Result{&base, r, &base, r}))

	var pp benchproc.ProjectionParser
	cols, err := pp.Parse("build", nil)
	require.NoError(t, err)
	rd := benchfmt.NewReader(&buf, "gate.txt")
	seen := map[string]int{}
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		require.True(t, ok)
		seen[cols.Project(res).String()]++
	}
	require.NoError(t, rd.Err())
	assert.Equal(t, map[string]int{"build:base": 2, "build:candidate": 2}, seen)
}
