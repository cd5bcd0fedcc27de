package export

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fortio.org/fortio/fhttp"
	"fortio.org/fortio/periodic"
	"fortio.org/fortio/rapi"
	fortiolog "fortio.org/log"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

func TestFortioExportDecodesIntoFortioTypes(t *testing.T) {
	r := realResult(t)
	dir := t.TempDir()
	files, err := Write(FormatFortio, dir, []Set{{Name: "x", Results: []*results.Result{r}, Files: []string{"testdata/mesh-both.json"}}})
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "mesh-both.json")}, files)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)

	var f fhttp.HTTPRunnerResults
	require.NoError(t, json.Unmarshal(data, &f))
	assert.Equal(t, "HTTP", f.RunType)
	assert.Equal(t, "mesh-both", f.RunnerResults.ID)
	assert.Equal(t, r.AchievedQPS, f.ActualQPS)
	assert.Equal(t, "100", f.RequestedQPS)
	assert.Equal(t, 16, f.NumThreads)
	assert.True(t, f.StartTime.Equal(r.Started))
	assert.InDelta(t, r.DurationS, f.ActualDuration.Seconds(), 1e-6)
	assert.Equal(t, map[int]int64{200: 397, 503: 2, -1: 1}, f.RetCodes)

	h := f.DurationHistogram
	require.NotNil(t, h)
	assert.Equal(t, r.Histogram.Count, h.Count)
	assert.InDelta(t, r.Histogram.Max/1000, h.Max, 1e-12)
	want := map[float64]float64{50: r.Latency.P50, 75: r.Latency.P75, 90: r.Latency.P90, 99: r.Latency.P99, 99.9: r.Latency.P999}
	require.Len(t, h.Percentiles, len(want))
	for _, p := range h.Percentiles {
		assert.InDelta(t, want[p.Percentile]/1000, p.Value, 1e-12, "percentile %g in seconds", p.Percentile)
	}
	require.Len(t, h.Data, len(r.Histogram.Buckets))
	var sum int64
	for i, b := range h.Data {
		sum += b.Count
		assert.InDelta(t, r.Histogram.Buckets[i].Start/1000, b.Start, 1e-12)
		assert.InDelta(t, 100*float64(sum)/float64(h.Count), b.Percent, 1e-9)
	}
	assert.Equal(t, h.Count, sum)
	assert.InDelta(t, 100, h.Data[len(h.Data)-1].Percent, 1e-9)
	// fortio's own percentile arithmetic over the exported buckets lands
	// in the same bucket as meshbench's exact p50.
	assert.InDelta(t, r.Latency.P50/1000, h.CalcPercentile(50), 0.1e-3)
}

// fortioRun runs fortio's HTTP load generator against fortio's echo server
// on 127.0.0.1 for a fraction of a second and returns its JSON, as
// `fortio load -json` writes it.
func fortioRun(t *testing.T, qps float64, threads int) []byte {
	t.Helper()
	fortiolog.SetLogLevelQuiet(fortiolog.Error)
	srv := httptest.NewServer(http.HandlerFunc(fhttp.EchoHandler))
	t.Cleanup(srv.Close)
	o := fhttp.HTTPRunnerOptions{RunnerOptions: periodic.RunnerOptions{QPS: qps, NumThreads: threads,
		Duration: 400 * time.Millisecond, Percentiles: []float64{50, 90, 99}, Out: io.Discard}}
	o.URL = srv.URL + "/?status=503:5" // fortio's echo server: 5% answered 503
	o.AllowInitialErrors = true        // the first request may draw a 503 too
	res, err := fhttp.RunHTTPTest(&o)
	require.NoError(t, err)
	data, err := json.Marshal(res)
	require.NoError(t, err)
	return data
}

func TestFromFortioReadsARealFortioRun(t *testing.T) {
	data := fortioRun(t, 200, 2)
	var f fhttp.HTTPRunnerResults
	require.NoError(t, json.Unmarshal(data, &f))

	r, ok, err := FromFortio(data, "run.json")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, FortioLane, r.Lane)
	assert.Equal(t, "qps200-c2-0B-http1", r.Case.Name)
	assert.Equal(t, f.DurationHistogram.Count, r.Requests)
	assert.Equal(t, f.ActualQPS, r.AchievedQPS)
	assert.InDelta(t, f.DurationHistogram.Percentiles[0].Value*1000, r.Latency.P50, 1e-9)
	assert.InDelta(t, f.DurationHistogram.CalcPercentile(75)*1000, r.Latency.P75, 1e-9, "missing percentiles come from the buckets")
	assert.Equal(t, f.RetCodes[503], r.ErrorsByStatus["503"])
	assert.Equal(t, f.RetCodes[503], r.Errors)
	// ~5% 503s is more than the 1% a valid run may have.
	assert.Equal(t, f.RetCodes[503] > r.Requests/100, !r.Valid, "reasons %v", r.InvalidReasons)
}

func TestFortioRoundTrip(t *testing.T) {
	r := realResult(t)
	data, err := json.Marshal(ToFortio(r, "id"))
	require.NoError(t, err)
	back, ok, err := FromFortio(data, "id.json")
	require.NoError(t, err)
	require.True(t, ok)
	assert.InDeltaMapValues(t, map[string]float64{"p50": r.Latency.P50, "p75": r.Latency.P75, "p90": r.Latency.P90,
		"p99": r.Latency.P99, "p999": r.Latency.P999, "max": r.Latency.Max},
		map[string]float64{"p50": back.Latency.P50, "p75": back.Latency.P75, "p90": back.Latency.P90,
			"p99": back.Latency.P99, "p999": back.Latency.P999, "max": back.Latency.Max}, 1e-9)
	assert.Equal(t, r.Requests, back.Requests)
	assert.Equal(t, r.Errors, back.Errors)
	assert.Equal(t, r.ErrorsByStatus, back.ErrorsByStatus)
	require.Len(t, back.Histogram.Buckets, len(r.Histogram.Buckets))
	for i, b := range r.Histogram.Buckets {
		assert.InDelta(t, b.Start, back.Histogram.Buckets[i].Start, 1e-9)
		assert.InDelta(t, b.End, back.Histogram.Buckets[i].End, 1e-9)
		assert.Equal(t, b.Count, back.Histogram.Buckets[i].Count)
	}
}

func TestFromFortioInput(t *testing.T) {
	tests := []struct {
		name, data string
		ok         bool
		err        string
	}{
		{"not JSON", "{", false, "bad.json: not valid JSON"},
		{"an array", "[1,2]", false, ""},
		{"a meshbench comparison", `{"schema":"meshbench.comparison/v1"}`, false, ""},
		{"fortio without requests", `{"RunType":"HTTP","DurationHistogram":{"Count":0}}`, true, "bad.json: fortio result: DurationHistogram has no requests"},
		{"fortio with a bad field", `{"RunType":"HTTP","DurationHistogram":{"Count":"x"}}`, true, "bad.json: fortio result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok, err := FromFortio([]byte(tt.data), "bad.json")
			assert.Equal(t, tt.ok, ok)
			if tt.err == "" {
				require.NoError(t, err)
				assert.Nil(t, r)
				return
			}
			require.ErrorContains(t, err, tt.err)
		})
	}
}

func TestReadAllMixesOwnAndFortioResults(t *testing.T) {
	dir := t.TempDir()
	own, err := os.ReadFile("testdata/mesh-both.json")
	require.NoError(t, err)
	files := map[string][]byte{
		"own.json": own, "fortio.json": fortioRun(t, 100, 1), "comparison.json": []byte(`{"schema":"meshbench.comparison/v1"}`),
		"list.json": []byte(`[]`), "notes.txt": []byte("x"),
	}
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	rs, err := ReadAll(dir)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.Equal(t, "mesh", rs[0].Lane)
	assert.Equal(t, FortioLane, rs[1].Lane)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{"RunType":"HTTP","DurationHistogram":{}}`), 0o644))
	_, err = ReadAll(dir)
	require.ErrorContains(t, err, "broken.json")
}

// TestFortioReportUIListsAndServesExports: the data side of fortio's report
// UI (`fortio report -data-dir DIR` mounts rapi's data handler) lists the
// exported files among its runs and serves them as fortio results.
func TestFortioReportUIListsAndServesExports(t *testing.T) {
	fortiolog.SetLogLevelQuiet(fortiolog.Error)
	dir := t.TempDir()
	_, err := Write(FormatFortio, dir, []Set{{Name: "x", Results: []*results.Result{realResult(t)}, Files: []string{"testdata/mesh-both.json"}}})
	require.NoError(t, err)
	mux := http.NewServeMux()
	rapi.AddDataHandler(mux, "", "/", dir)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	assert.Equal(t, []string{"mesh-both"}, rapi.DataList())
	resp, err := http.Get(srv.URL + "/data/mesh-both.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var f fhttp.HTTPRunnerResults
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&f))
	assert.Equal(t, "HTTP", f.RunType)
	assert.Len(t, f.DurationHistogram.Percentiles, 5)
}

// TestFromFortioReadsNighthawksVariant: Nighthawk's default fortio output
// (shape of its test/test_data/output_formatter.medium.fortio.gold; this
// file is made up in that shape) has no RunType, a numeric RequestedQPS,
// quoted counts and percentiles as fractions.
func TestFromFortioReadsNighthawksVariant(t *testing.T) {
	data, err := os.ReadFile("testdata/nighthawk-fortio.json")
	require.NoError(t, err)
	r, ok, err := FromFortio(data, "nh.json")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "qps100-c4-0B-http1", r.Case.Name)
	assert.Equal(t, int64(200), r.Requests)
	assert.Equal(t, 100.0, r.TargetQPS)
	assert.InDelta(t, 2.0, r.DurationS, 1e-9)
	assert.InDelta(t, 0.5, r.Latency.P50, 1e-9, "fraction 0.5 read as p50, in ms")
	assert.InDelta(t, 2.0, r.Latency.P99, 1e-9)
	assert.InDelta(t, 3.0, r.Latency.Max, 1e-9)
	assert.Greater(t, r.Latency.P999, r.Latency.P99, "p99.9 interpolated from the buckets")
	assert.Equal(t, int64(1), r.Errors)
	assert.Equal(t, map[string]int64{"503": 1}, r.ErrorsByStatus)
	assert.Equal(t, "Nighthawk", r.Labels["fortio_labels"])
	assert.True(t, r.Valid, "0.5% errors and 99.5% of the target rate")
	require.Len(t, r.Histogram.Buckets, 5)
	assert.Equal(t, int64(99), r.Histogram.Buckets[1].Count)
}
