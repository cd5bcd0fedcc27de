package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/internal/buildtags"
	"github.com/meshbench/meshbench/internal/testbin"
)

// footprint is testdata/footprint.json: meshproxy's recorded size and
// resident memory, and how far a measurement may exceed them. Re-record it
// (the values the failing test logs) only for a growth that is understood
// and accepted; say why in the commit.
type footprint struct {
	Recorded    string  `json:"recorded"`
	BinaryBytes int64   `json:"binary_bytes"`
	PeakRSSKiB  int64   `json:"peak_rss_kib"`
	IdleRSSKiB  int64   `json:"idle_rss_kib"`
	Margin      float64 `json:"margin"`
}

// TestProxyFootprint guards meshproxy's size against silent growth: the
// static binary's bytes, and from /proc a started proxy's resident set with
// a small configuration (one outbound relay, 20 requests through it): its
// high-water mark (VmHWM, what the harness reports as peak RSS; docs/proxy.md
// "Memory": it is set while starting) and its RSS after start-up pages are
// released and the requests served. Nothing here is timed.
func TestProxyFootprint(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/PID/status")
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "footprint.json"))
	require.NoError(t, err)
	var want footprint
	require.NoError(t, json.Unmarshal(golden, &want))
	require.Positive(t, want.Margin, "testdata/footprint.json: margin")

	bin := testbin.StaticProxy(t)
	fi, err := os.Stat(bin)
	require.NoError(t, err)

	app := startApp(t)
	out, admin := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "--id", "footprint", "--admin", admin, "--workers", "1",
		"--outbound", out+"="+app.srv.Listener.Addr().String())
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	released := make(chan struct{})
	go func() { // the proxy logs once it has dropped its start-up pages
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			if !once && strings.Contains(sc.Text(), "released start-up pages") {
				once = true
				close(released)
			}
		}
	}()
	awaitAdmin(t, admin)
	select {
	case <-released:
	case <-time.After(30 * time.Second):
		require.FailNow(t, "meshproxy never logged that it released its start-up pages")
	}
	for i := 0; i < 20; i++ {
		code, err := raw(out, "GET", fmt.Sprintf("/footprint/%d", i))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
	}
	got := procStatus(t, cmd.Process.Pid)
	t.Logf("meshproxy footprint: binary %d bytes, peak RSS %d KiB, RSS after 20 requests %d KiB (anon %d KiB, file %d KiB); recorded %s",
		fi.Size(), got["VmHWM"], got["VmRSS"], got["RssAnon"], got["RssFile"], want.Recorded)

	bound := func(v int64) int64 { return int64(float64(v) * (1 + want.Margin)) }
	assert.LessOrEqual(t, fi.Size(), bound(want.BinaryBytes), "static meshproxy binary bytes (recorded %d + %.0f%%)", want.BinaryBytes, want.Margin*100)
	assert.LessOrEqual(t, got["VmHWM"], bound(want.PeakRSSKiB), "peak RSS KiB (VmHWM; recorded %d + %.0f%%)", want.PeakRSSKiB, want.Margin*100)
	assert.LessOrEqual(t, got["VmRSS"], bound(want.IdleRSSKiB), "RSS KiB after 20 requests (recorded %d + %.0f%%)", want.IdleRSSKiB, want.Margin*100)
}

// procStatus reads the kB fields of /proc/PID/status.
func procStatus(t *testing.T, pid int) map[string]int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		f := strings.Fields(v)
		if !ok || len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err, line)
		out[k] = n
	}
	for _, k := range []string{"VmHWM", "VmRSS", "RssAnon", "RssFile"} {
		require.Contains(t, out, k, "/proc/%d/status", pid)
	}
	return out
}

// TestProxyLinksOnlyWhatItUses: every linked package with init code runs at
// start-up and its pages count in the peak RSS (docs/proxy.md "Memory").
// text/template (through grpc's golang.org/x/net/trace, unless built with
// grpcnotrace) looks methods up by name, so the linker keeps every exported
// method of every linked type: 7 MB more binary, 2 MB more resident at
// start-up. The Envoy bootstrap API (with its metrics, overload and tracing
// configs) is not needed to read static_resources. Nor is grpc-go (nor the
// generated packages that carry its stubs: ADS's discovery/v3, OTLP's
// collector with grpc-gateway): the ADS, CA and OTLP clients speak gRPC
// over x/net/http2 (grpcwire), and grpc-go was the largest part of the
// proxy's code that ran (issue 15). The shipped build
// (buildtags.Tags, the Makefile's TAGS) must link none of them.
func TestProxyLinksOnlyWhatItUses(t *testing.T) {
	root, err := testbin.ModuleRoot()
	require.NoError(t, err)
	cmd := exec.Command("go", "list", "-deps", "-tags", buildtags.Tags, "./mesh-under-test/cmd/meshproxy")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err, "go list -deps")
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/meshbench/meshbench/mesh-under-test/grpcwire", "the list is meshproxy's dependencies")
	for _, p := range []string{"text/template", "html/template", "golang.org/x/net/trace",
		"github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3",
		"go.opentelemetry.io/proto/otlp/collector/trace/v1",
		"github.com/grpc-ecosystem/grpc-gateway/v2/runtime",
		"github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3",
		"github.com/envoyproxy/go-control-plane/envoy/config/metrics/v3",
		"github.com/envoyproxy/go-control-plane/envoy/config/overload/v3"} {
		assert.NotContains(t, deps, p, "meshproxy built with -tags %s links %s", buildtags.Tags, p)
	}
	for _, p := range deps {
		assert.False(t, p == "google.golang.org/grpc" || strings.HasPrefix(p, "google.golang.org/grpc/"),
			"meshproxy links %s: its control-plane clients speak gRPC through grpcwire, not grpc-go", p)
	}
}
