package reports_test

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/reports"
	"github.com/meshbench/meshbench/reports/published"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// outDir is where a test writes a report: MESHBENCH_REPORT_OUT/<name> when
// set (to look at the result), else a temporary directory.
func outDir(t *testing.T, name string) string {
	if base := os.Getenv("MESHBENCH_REPORT_OUT"); base != "" {
		d := filepath.Join(base, name)
		require.NoError(t, os.RemoveAll(d))
		return d
	}
	return filepath.Join(t.TempDir(), name)
}

// fixture loads one of the testdata sets as a report input.
func fixture(t *testing.T, set string) reports.Input {
	t.Helper()
	pub, err := published.Default()
	require.NoError(t, err)
	in := reports.Input{Published: pub, Now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	switch set {
	case "synthetic":
		in.Results, in.ResultFiles, err = reports.ReadResults("testdata/synthetic/results")
		require.NoError(t, err)
		in.ComparisonFile = "testdata/synthetic/comparison.json"
		in.Comparison, err = results.ReadComparison(in.ComparisonFile)
		require.NoError(t, err)
		in.History, err = reports.LoadHistory("testdata/synthetic/history.json")
		require.NoError(t, err)
	case "local":
		in.Results, in.ResultFiles, err = reports.ReadResults("testdata/local")
		require.NoError(t, err)
	case "comparison-only":
		// What `meshbench gate` renders: the verdict, without the runs.
		in.Comparison, err = results.ReadComparison("testdata/synthetic/comparison.json")
		require.NoError(t, err)
	case "controlplane":
		in.Results, in.ResultFiles, err = reports.ReadResults("testdata/synthetic/controlplane")
		require.NoError(t, err)
	case "single-lane":
		// One case, one lane: almost nothing to plot, and that must be said.
		all, _, err := reports.ReadResults("testdata/local")
		require.NoError(t, err)
		for _, r := range all {
			if r.Lane == "httputil" && r.Case.Connections == 16 && r.Case.QPS == 1000 {
				in.Results = append(in.Results, r)
			}
		}
	}
	return in
}

func TestRender(t *testing.T) {
	tests := []struct {
		set         string
		wantVerdict string
		wantPlots   []string
		wantOmitted []string // substrings of omission notes
	}{
		{set: "synthetic", wantVerdict: "FAIL",
			wantPlots: []string{"latency-vs-connections", "latency-vs-qps", "latency-cdf", "cpu-vs-qps", "memory", "comparison",
				"history", "overhead-latency", "overhead-cpu", "overhead-memory"},
			wantOmitted: []string{"Control-plane convergence"}},
		{set: "local", wantVerdict: "REPORT",
			wantPlots: []string{"latency-vs-connections", "latency-vs-qps", "latency-cdf", "cpu-vs-qps", "memory",
				"overhead-latency", "overhead-cpu", "overhead-memory"},
			wantOmitted: []string{"Base vs candidate: no comparison", "Trend over history: no history", "Control-plane convergence"}},
		{set: "comparison-only", wantVerdict: "FAIL",
			wantPlots:   []string{"comparison"},
			wantOmitted: []string{"Latency percentiles vs connections", "Trend over history: no history"}},
		{set: "controlplane", wantVerdict: "REPORT",
			wantPlots:   []string{"control-plane"},
			wantOmitted: []string{"Latency distribution (CDF): no valid runs", "Latency percentiles vs connections"}},
		{set: "single-lane", wantVerdict: "REPORT",
			wantPlots: []string{"latency-cdf", "memory"},
			wantOmitted: []string{"Latency percentiles vs connections: the results hold no two cases", "Latency percentiles vs QPS",
				"CPU per component vs QPS", "Added latency beside published figures: these results have no mesh lane beside a `none` lane"}},
	}
	for _, tc := range tests {
		t.Run(tc.set, func(t *testing.T) {
			in := fixture(t, tc.set)
			require.True(t, len(in.Results) > 0 || in.Comparison != nil)
			dir := outDir(t, tc.set)
			out, err := reports.Render(context.Background(), in, dir)
			require.NoError(t, err)
			assert.Equal(t, tc.wantVerdict, out.Verdict)

			var names []string
			for _, p := range out.PNGs {
				names = append(names, strings.TrimSuffix(filepath.Base(p), ".png"))
				checkPNG(t, p)
			}
			assert.Equal(t, tc.wantPlots, names)
			for _, want := range tc.wantOmitted {
				assert.True(t, containsSub(out.Omitted, want), "no omission note containing %q in %q", want, out.Omitted)
			}

			page, err := os.ReadFile(out.HTML)
			require.NoError(t, err)
			checkSelfContained(t, page, dir, len(out.PNGs))
			assert.Contains(t, string(page), `class="banner `+strings.ToLower(tc.wantVerdict)+`"`)

			md, err := os.ReadFile(out.Markdown)
			require.NoError(t, err)
			assert.Less(t, len(md), 65536, "a GitHub comment holds at most 65536 characters")
			assert.Contains(t, string(md), tc.wantVerdict)
			if tc.set == "synthetic" {
				golden(t, "summary-synthetic.md", md)
			}
		})
	}
}

func containsSub(xs []string, sub string) bool {
	for _, x := range xs {
		if strings.Contains(x, sub) {
			return true
		}
	}
	return false
}

// checkPNG decodes a plot and checks it is of a size a reader can read.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	require.NoError(t, err, path)
	assert.GreaterOrEqual(t, cfg.Width, 800, path)
	assert.LessOrEqual(t, cfg.Width, 2000, path)
	assert.GreaterOrEqual(t, cfg.Height, 400, path)
	assert.LessOrEqual(t, cfg.Height, 4000, path)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err, path)
	// Not blank: a drawn plot has many distinct colours (axes, text, series).
	colours := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	assert.Greater(t, len(colours), 20, "%s looks blank", path)
}

var (
	dataURI  = regexp.MustCompile(`data:image/png;base64,[A-Za-z0-9+/=]+`)
	external = regexp.MustCompile(`(?i)(https?:|ftp:|wss?:|://|url\(|@import|<script|<link|<iframe|srcset=)`)
	hrefs    = regexp.MustCompile(`href="([^"]*)"`)
)

// checkSelfContained asserts the page loads nothing from outside itself:
// every image is a data: URI, no URL names another host, and every link is
// an in-page anchor or a relative path to a file that exists.
func checkSelfContained(t *testing.T, page []byte, dir string, nPNG int) {
	t.Helper()
	assert.Len(t, dataURI.FindAll(page, -1), nPNG, "every plot embedded once")
	rest := dataURI.ReplaceAll(page, nil)
	if m := external.FindAll(rest, 5); len(m) > 0 {
		t.Errorf("the page references something external: %q", m)
	}
	assert.NotContains(t, string(rest), `src="`+"/", "no absolute src")
	for _, m := range hrefs.FindAllSubmatch(rest, -1) {
		href := string(m[1])
		if strings.HasPrefix(href, "#") {
			continue
		}
		assert.False(t, filepath.IsAbs(href), "absolute link %s", href)
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(href)))
		assert.NoError(t, err, "link %s does not resolve from %s", href, dir)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./reports -update to create it")
	assert.Equal(t, string(want), string(got), "%s differs; if the change is intended, run go test ./reports -update", path)
}

func TestRenderRefusesNothing(t *testing.T) {
	_, err := reports.Render(context.Background(), reports.Input{}, t.TempDir())
	require.Error(t, err)
}

func TestRenderWritesRawCopiesWithoutFiles(t *testing.T) {
	in := fixture(t, "single-lane")
	dir := t.TempDir()
	out, err := reports.Render(context.Background(), in, dir)
	require.NoError(t, err)
	require.Len(t, out.RawFiles, len(in.Results))
	for _, f := range out.RawFiles {
		r, err := results.Read(f)
		require.NoError(t, err)
		assert.Equal(t, "httputil", r.Lane)
	}
	page, err := os.ReadFile(out.HTML)
	require.NoError(t, err)
	checkSelfContained(t, page, dir, len(out.PNGs))
}

func TestReadResultsCountsARunOnce(t *testing.T) {
	in := fixture(t, "single-lane")
	dir := t.TempDir()
	out, err := reports.Render(context.Background(), in, dir)
	require.NoError(t, err)
	require.NotEmpty(t, out.RawFiles)
	// The originals and the report's raw/ copies of them.
	rs, files, err := reports.ReadResults(filepath.Join("testdata", "local"), dir)
	require.NoError(t, err)
	all, _, err := reports.ReadResults(filepath.Join("testdata", "local"))
	require.NoError(t, err)
	assert.Len(t, rs, len(all))
	assert.Len(t, files, len(all))
	for _, f := range files {
		assert.True(t, strings.HasPrefix(f, filepath.Join("testdata", "local")), f)
	}
}
