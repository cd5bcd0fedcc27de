package reports_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/reports"
)

// chromium finds Debian's chromium (or the binary MESHBENCH_CHROMIUM names).
func chromium(t *testing.T) string {
	if testing.Short() {
		t.Skip("-short: skipping the headless-browser check of the report")
	}
	if p := os.Getenv("MESHBENCH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found (install Debian's `chromium` package, as `make deps` does, or set MESHBENCH_CHROMIUM): skipping the headless-browser check of the report")
	return ""
}

// screenshotDir is where the browser test leaves its screenshots:
// MESHBENCH_SCREENSHOT_DIR, else reports/testdata/out (ignored by git).
func screenshotDir(t *testing.T) string {
	d := os.Getenv("MESHBENCH_SCREENSHOT_DIR")
	if d == "" {
		d = filepath.Join("testdata", "out")
	}
	require.NoError(t, os.MkdirAll(d, 0o755))
	return d
}

type imageState struct {
	Alt      string `json:"alt"`
	Complete bool   `json:"complete"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}

// page is what a headless Chromium saw of one HTML file.
type page struct {
	Images   []imageState
	Console  []chromedp.ConsoleMessage
	Requests []string
	Banner   string
	First    []byte // screenshot of the first screen, PNG
	Full     []byte // the whole page, JPEG
}

// open loads path in a fresh headless Chromium and reports what it saw.
func open(t *testing.T, exe, path string) page {
	t.Helper()
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	tab, tcancel := chromedp.NewContext(actx)
	defer tcancel()

	// Collect console messages and requests while the page loads.
	var mu sync.Mutex
	var p page
	consoleCtx, stopConsole := context.WithCancel(tab)
	msgs := chromedp.Console(consoleCtx)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for m, err := range msgs {
			if err != nil {
				return
			}
			mu.Lock()
			p.Console = append(p.Console, m)
			mu.Unlock()
		}
	}()
	require.NoError(t, chromedp.Listen(tab, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			p.Requests = append(p.Requests, e.Request.URL)
			mu.Unlock()
		}
	}))
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate("file://"+abs)))
	_, err = chromedp.Run(tab, chromedp.Poll[bool](`document.readyState === "complete" && Array.from(document.images).every(i => i.complete)`))
	require.NoError(t, err)
	imgs, err := chromedp.Run(tab, chromedp.Evaluate[[]imageState](
		`Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}))`))
	require.NoError(t, err)
	banner, err := chromedp.Run(tab, chromedp.Evaluate[string](`(document.querySelector("header.banner .word") || {textContent: ""}).textContent`))
	require.NoError(t, err)
	first, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	full, err := chromedp.Run(tab, chromedp.FullScreenshot(80))
	require.NoError(t, err)

	time.Sleep(300 * time.Millisecond) // let late console events arrive
	stopConsole()
	<-drained
	mu.Lock()
	defer mu.Unlock()
	p.Images, p.Banner, p.First, p.Full = imgs, banner, first, full
	return p
}

// problems lists what is wrong with a page a reader opens offline.
func (p page) problems() []string {
	var out []string
	for _, m := range p.Console {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, "console "+string(m.Type)+": "+m.Text)
		}
	}
	for _, im := range p.Images {
		if !im.Complete || im.Width == 0 || im.Height == 0 {
			out = append(out, "image not loaded: "+im.Alt)
		}
	}
	if len(p.Requests) == 0 {
		out = append(out, "the request listener saw nothing: it cannot vouch for the page")
	}
	for _, u := range p.Requests {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			out = append(out, "request leaves the file: "+u)
		}
	}
	return out
}

// TestReportInChromium opens the rendered report in a real headless
// Chromium: no console errors, every image decoded, no request leaves the
// file, and a screenshot of what a reader sees first.
func TestReportInChromium(t *testing.T) {
	exe := chromium(t)
	in := fixture(t, "synthetic")
	out, err := reports.Render(context.Background(), in, outDir(t, "browser"))
	require.NoError(t, err)

	p := open(t, exe, out.HTML)
	assert.Empty(t, p.problems())
	assert.Len(t, p.Images, len(out.PNGs), "one <img> per plot")
	assert.Equal(t, "FAIL", p.Banner)

	sdir := screenshotDir(t)
	require.NoError(t, os.WriteFile(filepath.Join(sdir, "report-first-screen.png"), p.First, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(sdir, "report-full.jpg"), p.Full, 0o644))
	t.Logf("screenshots in %s (report-first-screen.png, report-full.jpg)", sdir)
}

// TestChromiumCheckCatchesABrokenPage proves the check above can fail: a
// page with a console error, a missing image and a fetch to another host.
func TestChromiumCheckCatchesABrokenPage(t *testing.T) {
	exe := chromium(t)
	path := filepath.Join(t.TempDir(), "broken.html")
	require.NoError(t, os.WriteFile(path, []byte(`<!DOCTYPE html><html><body>
<img alt="missing" src="missing.png"><img alt="remote" src="http://127.0.0.1:9/x.png">
<script>console.error("boom")</script></body></html>`), 0o644))
	probs := strings.Join(open(t, exe, path).problems(), "\n")
	assert.Contains(t, probs, "console error: boom")
	assert.Contains(t, probs, "image not loaded: missing")
	assert.Contains(t, probs, "request leaves the file: http://127.0.0.1:9/x.png")
}
