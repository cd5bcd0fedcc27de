package export

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"

	"github.com/meshbench/meshbench/harness/metric"

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
		"latency_p50_ms": r.Latency.P50, "latency_p99_ms": r.Latency.P99, "latency_max_ms": r.Latency.Max,
		"achieved_qps": r.AchievedQPS, "error_rate": 3.0 / 400,
		"cpu_us_per_request/client-proxy": r.Component(results.RoleClientProxy).CPUUsPerRequest,
		"cpu_us_per_request/proxies": r.Component(results.RoleClientProxy).CPUUsPerRequest +
			r.Component(results.RoleServerProxy).CPUUsPerRequest,
		"rss_bytes_steady/server-proxy": float64(r.Component(results.RoleServerProxy).RSSBytesSteady),
		"rss_bytes_peak/app":            float64(r.Component(results.RoleApp).RSSBytesPeak),
	} {
		v, ok := g.Value(unit)
		require.True(t, ok, unit)
		assert.InDelta(t, want, v, 1e-12, unit)
	}
	// Every unit is a catalog metric's name (or the gate's error rate).
	for _, v := range g.Values {
		_, known := metric.Lookup(v.Unit)
		assert.True(t, known || v.Unit == "error_rate" || v.Unit == "achieved_qps" || strings.HasPrefix(v.Unit, "rss_bytes_steady/"), v.Unit)
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
