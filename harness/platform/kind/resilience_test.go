package kind_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/cluster"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/testbin"
	kindconfig "github.com/meshbench/meshbench/kind-config"
)

// runResilience runs a shipped resilience scenario with `meshbench run
// --platform kind` on cluster name (created by the first run, kept by
// --keep, reused by the next) and returns its one result. Exit 0 (every
// criterion held) and 5 (a criterion did not hold: on a loaded machine a
// latency bound can miss) both mean the run was made and its criteria
// evaluated; anything else fails the test.
func runResilience(ctx context.Context, t *testing.T, bin, image, name, file string, args ...string) *results.Result {
	t.Helper()
	out := filepath.Join(t.TempDir(), "results")
	argv := append([]string{"run", "-f", filepath.Join("..", "..", "..", "scenarios", "resilience", file),
		"--platform", "kind", "--keep", "-o", out, "--no-report"}, args...)
	run := exec.CommandContext(ctx, filepath.Join(bin, "meshbench"), argv...)
	run.Env = append(os.Environ(), "MESHBENCH_KIND_CLUSTER="+name, "MESHBENCH_NODE_IMAGE="+image)
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	start := time.Now()
	err := run.Run()
	t.Logf("meshbench %v took %s\n%s", argv, time.Since(start).Round(time.Second), stdout.String())
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 5 {
		t.Logf("%s: a criterion did not hold (exit 5): %s", file, stderr.String())
	} else {
		require.NoError(t, err, "stderr:\n%s", stderr.String())
	}
	logSettle(t, stderr.String())
	files, err := filepath.Glob(filepath.Join(out, "*.json"))
	require.NoError(t, err)
	rs, err := results.ReadAll(files...)
	require.NoError(t, err)
	require.Len(t, rs, 1, file)
	r := rs[0]
	require.Nil(t, r.Failure, "%s: the run was made", file)
	require.NotNil(t, r.Resilience, file)
	assert.Equal(t, "kind", r.Platform)
	require.NotEmpty(t, r.Resilience.Criteria, "%s: criteria evaluated", file)
	return r
}

// timeBound are the criteria a starved machine can break on its own: how
// soon the mesh recovers, how slow requests get, and whether requests
// right after a fault time out while the load client waits for a CPU.
var timeBound = map[string]bool{
	"max_recovery": true, "max_error_recovery": true, "max_error_rate_after": true,
	"max_errors_after": true, "max_time_to_eject": true, "max_p99_during": true,
	"max_p99_ratio_during": true,
}

// starved reports whether the run was marked invalid because its load
// generator fell behind its schedule. Then the machine (CI's, busy with
// other jobs: send lag p99 over 100 ms was seen) was too slow for a time
// bound to say anything about the mesh, and the harness said so itself:
// the test asserts what starvation cannot change (the fault happened as
// described, errors before it, errors of other causes, the run marked
// invalid) and logs the time-bound checks instead of asserting them.
func starved(t *testing.T, r *results.Result) bool {
	t.Helper()
	if r.Valid || !hasReason(r.InvalidReasons, "load generator fell behind") {
		return false
	}
	t.Logf("the load generator fell behind (%q): time-bound checks are logged, not asserted", r.InvalidReasons)
	return true
}

// checkCriteria asserts that each named criterion was evaluated and held;
// a time-bound one that did not hold on a starved run is only logged.
func checkCriteria(t *testing.T, r *results.Result, file string, names ...string) {
	t.Helper()
	held := map[string]bool{}
	for _, c := range r.Resilience.Criteria {
		held[c.Name] = c.Held
		t.Logf("criterion %s: limit %g measured %g held %v %s", c.Name, c.Limit, c.Measured, c.Held, c.Detail)
	}
	hungry := starved(t, r)
	for _, name := range names {
		if _, ok := held[name]; !assert.True(t, ok, "%s: criterion %s evaluated", file, name) {
			continue
		}
		if !held[name] && hungry && timeBound[name] {
			t.Logf("%s: criterion %s did not hold on a starved machine: not asserted", file, name)
			continue
		}
		assert.True(t, held[name], "%s criterion %s held", file, name)
	}
}

// podUIDs are the UIDs a kill fault's detail names: the deleted pod's and
// its replacement's.
var podUIDs = regexp.MustCompile(`killed pod (\S+) uid (\S+) .*restarted at \+\S+ as pod (\S+) uid (\S+) on \S+, IP \S+ \(Ready\)`)

// TestKindResilience runs the resilience scenarios on a one-node kind
// cluster: meshcontrol's pod and then the app's pod (mode both, with its
// server sidecar) are deleted mid-run and created again (the deleted pod
// is gone: a new UID replaces it; the replacement serves: the load after
// the fault has no error); the server sidecar's process killed inside its
// pod and restarted by the kubelet; the app restarted gracefully with no
// request failing; a flood
// through a NodePort; the app stopped and continued (slow-upstream); one
// of three app replicas failing and ejected (outlier-ejection); both
// again behind retries (slow-upstream-retries, fail-retries);
// certificates rotating (cert-rotation); a fault kind cannot do fails the
// run; the criteria are evaluated, and the cluster is deleted at the end. It needs Docker and the node image; it takes several minutes.
func TestKindResilience(t *testing.T) {
	image := needKind(t, kindconfig.OneNode)
	const name = "mb-resil-kind"
	bin := testbin.StaticDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	mgr := cluster.NewManager(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { _ = mgr.Delete(name, "") })
	if ok, _ := mgr.Exists(name); ok {
		t.Fatalf("kind cluster %s exists already (left by an earlier run?): delete it with meshbench cluster delete --name %s", name, name)
	}

	checkKill := func(t *testing.T, r *results.Result, pod string) {
		require.Len(t, r.Resilience.Faults, 1)
		f := r.Resilience.Faults[0]
		m := podUIDs.FindStringSubmatch(f.Detail)
		require.NotNil(t, m, "fault detail: %s", f.Detail)
		assert.Equal(t, pod, m[1])
		assert.Equal(t, pod, m[3])
		assert.NotEqual(t, m[2], m[4], "the deleted pod is gone: its replacement has a new UID")
		assert.Greater(t, f.EndedS, f.BeganS)
		if starved(t, r) {
			return // the tail below is timing: a starved replacement may be Ready after the run
		}
		// The replacement serves: every bucket that starts once the fault
		// has ended (the replacement Ready) carried requests and none
		// failed. Not "the last second": on a loaded machine the
		// replacement took 3.3 s to be Ready and the fault ended at 7.25 s
		// of 8, so the last second still held its 503s.
		bs := r.Resilience.Buckets
		require.NotEmpty(t, bs)
		tail := 0
		for _, b := range bs {
			if b.StartS < f.EndedS || b.StartS+0.25 > r.DurationS {
				continue // before the end, or the run's last, partial bucket
			}
			assert.Positive(t, b.Requests, "bucket at %.2fs", b.StartS)
			assert.Zero(t, b.Errors, "bucket at %.2fs: %v", b.StartS, b.ErrorsByCause)
			tail++
		}
		assert.GreaterOrEqual(t, tail, 2, "at least half a second of load after the fault ended (%.2fs of %.0fs)", f.EndedS, r.DurationS)
	}

	held := func(t *testing.T, r *results.Result) map[string]bool {
		out := map[string]bool{}
		for _, c := range r.Resilience.Criteria {
			out[c.Name] = c.Held
			t.Logf("criterion %s: limit %g measured %g held %v %s", c.Name, c.Limit, c.Measured, c.Held, c.Detail)
		}
		return out
	}
	t.Run("control plane pod deleted", func(t *testing.T) {
		r := runResilience(ctx, t, bin, image, name, "controlplane-kill.yaml")
		checkKill(t, r, "meshcontrol")
		assert.Zero(t, r.Resilience.During.Errors, "the proxies keep serving without meshcontrol")
		_, measured := r.Resilience.PeakRSSBytes["control-plane"]
		assert.False(t, measured, "the deleted component is not measured")
	})
	t.Run("app pod deleted", func(t *testing.T) {
		// Mode both, the default lane: the pod carries the server sidecar,
		// which listens on every address of its pod, so the replacement
		// (a new IP) is served by the same configuration.
		r := runResilience(ctx, t, bin, image, name, "app-kill.yaml")
		assert.Equal(t, "both", r.Mode)
		checkKill(t, r, "app")
		assert.Positive(t, r.Resilience.During.Errors, "requests failed while the app pod was gone")
		// The client sidecar calls the app's pod IP (meshcontrol's
		// EndpointSlice registry) and closes its connections to the deleted
		// pod when the endpoint goes: every failed request is the proxy's
		// 503, none waits out the load client's timeout (cause "socket"),
		// which a deleted pod's silent connections caused before.
		for _, ph := range []results.PhaseStats{r.Resilience.Before, r.Resilience.During, r.Resilience.After} {
			for cause := range ph.ByCause {
				assert.Equal(t, "503", cause, "errors by cause %v", ph.ByCause)
			}
		}
		checkCriteria(t, r, "app-kill", "max_errors_before", "allowed_causes", "max_error_rate_after", "max_error_recovery")
	})
	t.Run("server sidecar killed inside its pod", func(t *testing.T) {
		r := runResilience(ctx, t, bin, image, name, "proxy-kill.yaml")
		require.Len(t, r.Resilience.Faults, 1)
		f := r.Resilience.Faults[0]
		assert.Regexp(t, `^killed pod app container meshproxy: (host )?pid \S+ (in|inside) node \S+ \(SIGKILL\); restarted at \+\S+ as container meshproxy of pod app restarted by the kubelet \(restart 1, started \S+\), pod Ready`, f.Detail)
		assert.Positive(t, r.Resilience.During.Errors, "requests failed while the sidecar was down")
		for _, ph := range []results.PhaseStats{r.Resilience.Before, r.Resilience.During, r.Resilience.After} {
			for cause := range ph.ByCause {
				assert.Equal(t, "503", cause, "errors by cause %v: the client sidecar answers for the dead one", ph.ByCause)
			}
		}
		// The restarted sidecar has no listener but what meshcontrol sends
		// it: requests served after the fault are meshcontrol's doing.
		assert.Positive(t, r.Resilience.After.Requests)
		assert.Zero(t, r.Resilience.After.Errors, "the restarted sidecar serves")
		assert.Positive(t, r.Resilience.PeakRSSBytes["app"], "the app ran on in its pod and was measured")
		_, measured := r.Resilience.PeakRSSBytes["server-proxy"]
		assert.False(t, measured, "the killed sidecar is not measured")
		h := held(t, r)
		for _, c := range []string{"max_errors_before", "allowed_causes", "max_error_rate_after", "max_error_recovery"} {
			assert.True(t, h[c], "proxy-kill criterion %s held", c)
		}
	})
	t.Run("app restarted gracefully", func(t *testing.T) {
		r := runResilience(ctx, t, bin, image, name, "rolling-restart.yaml")
		require.Len(t, r.Resilience.Faults, 1)
		assert.Regexp(t, `^restarted gracefully: pod app-r1 uid \S+ on \S+, IP \S+, Ready after \S+; pod app uid \S+ deleted with grace 10s \(preStop: terminating, still serving\); pod app gone`, r.Resilience.Faults[0].Detail)
		assert.Zero(t, r.Errors, "no request failed: %v", r.ErrorsByStatus)
		assert.Positive(t, r.Resilience.After.Requests+r.Resilience.During.Requests)
		h := held(t, r)
		for _, c := range []string{"max_errors_before", "max_errors_during", "max_errors_after"} {
			assert.True(t, h[c], "rolling-restart criterion %s held", c)
		}
	})
	t.Run("flood through a NodePort", func(t *testing.T) {
		r := runResilience(ctx, t, bin, image, name, "flood.yaml")
		require.Len(t, r.Resilience.Faults, 1)
		assert.Contains(t, r.Resilience.Faults[0].Detail, "flood: 2000 connections opened, 0 refused", "every connection reached the inbound listener")
		assert.Positive(t, r.Resilience.PeakRSSBytes["server-proxy"], "the server sidecar's memory is measured")
	})
	t.Run("app paused", func(t *testing.T) {
		r := runResilience(ctx, t, bin, image, name, "slow-upstream.yaml")
		require.Len(t, r.Resilience.Faults, 1)
		f := r.Resilience.Faults[0]
		assert.Regexp(t, `paused pod app container app: (host )?pid \S+ (in|inside) node \S+ \(SIGSTOP\); resumed after`, f.Detail)
		// The hung app holds its connections: the mesh's route timeout
		// answers 504 while it is stopped, and it serves again after.
		assert.Positive(t, r.Resilience.During.ByCause["504"], "requests timed out while the app was stopped: %v", r.Resilience.During.ByCause)
		checkCriteria(t, r, "slow-upstream", "max_errors_before", "allowed_causes", "max_error_recovery")
		if !starved(t, r) {
			assert.Zero(t, r.Resilience.After.Errors, "the resumed app serves")
		}
	})
	t.Run("one of three replicas fails", func(t *testing.T) {
		r := runResilience(ctx, t, bin, image, name, "outlier-ejection.yaml")
		require.Len(t, r.Resilience.Faults, 1)
		assert.Contains(t, r.Resilience.Faults[0].Detail, "failing pod app-3 container app: ")
		for _, app := range []string{"app", "app-2", "app-3"} {
			assert.Positive(t, r.Resilience.PeakRSSBytes[app], "replica %s ran and was measured", app)
		}
		ej := r.Resilience.Ejection
		require.NotNil(t, ej)
		assert.True(t, ej.Ejected, "the client sidecar ejected the failing pod")
		assert.Positive(t, ej.ErrorsToEject, "app-3 answered 503 (it got traffic, so the sidecar saw its pod IP)")
		assert.Zero(t, ej.ErrorsAfterEject, "no request failed after the ejection")
		checkCriteria(t, r, "outlier-ejection", "max_errors_before", "max_errors_after", "allowed_causes", "max_error_rate_after_eject")
	})
	t.Run("app paused behind retries", func(t *testing.T) {
		r := runResilience(ctx, t, bin, image, name, "slow-upstream-retries.yaml")
		// The client sidecar's counters, read through a port-forward to the
		// load client pod, carry the retries it made while the app hung.
		rl := r.Resilience.Retries
		require.NotNil(t, rl, "the client sidecar's retry counters were read")
		assert.Positive(t, rl.Requests)
		assert.Positive(t, rl.Retries, "the client sidecar retried while the app was stopped")
		checkCriteria(t, r, "slow-upstream-retries", "max_errors_before", "allowed_causes", "max_retry_ratio")
	})
	t.Run("a failing replica behind retries", func(t *testing.T) {
		r := runResilience(ctx, t, bin, image, name, "fail-retries.yaml")
		require.NotNil(t, r.Resilience.Retries)
		assert.Positive(t, r.Resilience.Retries.Retries, "the client sidecar retried app-3's 503s")
		checkCriteria(t, r, "fail-retries", "max_errors_before", "max_errors_during")
	})
	t.Run("certificates rotate", func(t *testing.T) {
		r := runResilience(ctx, t, bin, image, name, "cert-rotation.yaml")
		checkCriteria(t, r, "cert-rotation", "min_certificates_issued", "max_errors_during")
	})
	t.Run("unsupported fault fails the run", func(t *testing.T) {
		// proxy-kill.yaml aimed at the load client's sidecar
		orig, err := os.ReadFile(filepath.Join("..", "..", "..", "scenarios", "resilience", "proxy-kill.yaml"))
		require.NoError(t, err)
		file := filepath.Join(t.TempDir(), "client-proxy-kill.yaml")
		require.NoError(t, os.WriteFile(file, bytes.ReplaceAll(orig, []byte("target: server-proxy"), []byte("target: client-proxy")), 0o644))
		out := filepath.Join(t.TempDir(), "results")
		run := exec.CommandContext(ctx, filepath.Join(bin, "meshbench"), "run", "-f", file,
			"--platform", "kind", "--keep", "-o", out, "--no-report")
		run.Env = append(os.Environ(), "MESHBENCH_KIND_CLUSTER="+name, "MESHBENCH_NODE_IMAGE="+image)
		outb, err := run.CombinedOutput()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "%s", outb)
		assert.Equal(t, 4, ee.ExitCode(), "a run that could not be made: %s", outb)
		assert.Contains(t, string(outb), "unsupported on kind: client-proxy is a sidecar container of the load client's pod")
	})

	require.NoError(t, mgr.Delete(name, ""))
	assert.Empty(t, kindContainers(t, name), "the cluster is deleted")
}
