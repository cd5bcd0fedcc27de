package local

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/resilience"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/testbin"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// upRestartable starts a mesh lane with real meshbench, meshproxy and
// meshcontrol processes, set up for a graceful restart of its app.
func upRestartable(t *testing.T, mode string, mtls bool) (*Platform, *topology) {
	t.Helper()
	if testing.Short() {
		t.Skip("real processes under load: skipped with -short")
	}
	dir := testbin.Dir(t)
	p := New(platform.Binaries{Meshbench: filepath.Join(dir, "meshbench"), Meshproxy: filepath.Join(dir, "meshproxy"),
		Meshcontrol: filepath.Join(dir, "meshcontrol")}, WithWorkDir(t.TempDir()))
	t.Cleanup(func() { p.Close(context.Background()) })
	top, err := p.Up(context.Background(), platform.Spec{Lane: platform.LaneMesh, Mode: mode,
		Case: results.Case{QPS: 300, Connections: 4, PayloadBytes: 64, Protocol: results.ProtocolHTTP1, MTLS: mtls},
		Mesh: platform.MeshOptions{Telemetry: true, AppGracefulStop: true}})
	require.NoError(t, err)
	return p, top.(*topology)
}

// pids are the pids of every process the platform still tracks.
func (p *Platform) pids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for _, pr := range p.procs {
		out = append(out, pr.pid())
	}
	return out
}

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	require.NoError(t, err, url)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func gone(pid int) bool { return syscall.Kill(pid, 0) == syscall.ESRCH }

// TestGracefulRestart restarts the app of a real mesh lane gracefully
// under load through the resilience runner's own dispatch (a restart
// fault), at 300 requests per second: no request fails; the old app and
// its server proxy are gone; the new ones serve, on new ports, under the
// component names; the mesh file holds only the new endpoint, not
// draining; the fault's detail says what was done. Mode both with and
// without mTLS (the new server proxy's certificate comes from
// meshcontrol's CA), and clientonly (the endpoint is the app itself).
func TestGracefulRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode string
		mtls bool
	}{{"both", platform.ModeBoth, false}, {"both mTLS", platform.ModeBoth, true}, {"clientonly", platform.ModeClientOnly, false}} {
		t.Run(tc.name, func(t *testing.T) {
			p, top := upRestartable(t, tc.mode, tc.mtls)
			ctx := context.Background()
			both := tc.mode == platform.ModeBoth
			require.NoError(t, top.Supports(resilience.KindRestart, "app"))
			if both {
				assert.ElementsMatch(t, []string{"app", "server-proxy"}, top.Casualties("app"), "the replaced pair is not measured")
			}
			oldApp, err := top.PID("app")
			require.NoError(t, err)
			oldAppAddr, err := top.Addr("app")
			require.NoError(t, err)
			old := []int{oldApp}
			oldEP := oldAppAddr
			if both {
				pid, err := top.PID("server-proxy")
				require.NoError(t, err)
				old = append(old, pid)
				oldEP, err = top.Addr("server-proxy")
				require.NoError(t, err)
			}

			spec := resilience.Spec{Faults: []resilience.Fault{{Kind: resilience.KindRestart, Target: "app",
				At: resilience.Duration{Duration: time.Second}, Until: resilience.Duration{Duration: 2 * time.Second}}}}
			zero := int64(0)
			spec.Criteria.MaxErrorsBefore, spec.Criteria.MaxErrorsDuring, spec.Criteria.MaxErrorsAfter = &zero, &zero, &zero
			spec.Normalize()
			require.NoError(t, spec.Validate(7*time.Second))
			out, err := resilience.Run(ctx, top, spec, load.Options{QPS: 300, Connections: 4, PayloadBytes: 64,
				Protocol: results.ProtocolHTTP1, Duration: 7 * time.Second})
			require.NoError(t, err)
			assert.Zero(t, out.Report.Errors, "no request failed across the restart: %v", out.Report.ErrorsByStatus)
			assert.Greater(t, out.Report.Requests, int64(1000))
			require.Len(t, out.Resilience.Faults, 1)
			ev := out.Resilience.Faults[0]
			t.Logf("fault: %+v", ev)
			assert.Regexp(t, `^restarted gracefully: app-r1 pid \d+.* ready after .*; old endpoint `+oldEP+` DRAINING at the client proxy .*; app pid \d+ exited \S+ after SIGTERM \(exit status 0\); the old endpoint out of the mesh file \S+ after it was seen draining; the old instance gone after`, ev.Detail)
			assert.GreaterOrEqual(t, ev.EndedS-ev.BeganS, drainGrace.Seconds(), "the old instance drained for its grace before it was stopped")
			assert.True(t, out.Resilience.Passed, "%+v", out.Resilience.Criteria)

			for _, pid := range old {
				assert.True(t, gone(pid), "old pid %d is gone", pid)
			}
			newApp, err := top.PID("app")
			require.NoError(t, err)
			assert.NotContains(t, old, newApp)
			assert.True(t, top.Alive("app"))
			newAppAddr, err := top.Addr("app")
			require.NoError(t, err)
			assert.NotEqual(t, oldAppAddr, newAppAddr, "the new app has its own port")
			assert.Equal(t, 200, status(t, "http://"+newAppAddr+"/"), "the new app serves")
			_, err = (&http.Client{Timeout: time.Second}).Get("http://" + oldAppAddr + "/")
			assert.Error(t, err, "the old app's address refuses")
			entry, err := top.Addr("client-proxy")
			require.NoError(t, err)
			assert.Equal(t, 200, status(t, "http://"+entry+"/echo"), "the mesh serves from the new instance")

			m, err := meshconfig.Load(top.mesh.file)
			require.NoError(t, err)
			newEP := newAppAddr
			if both {
				newEP, err = top.Addr("server-proxy")
				require.NoError(t, err)
				assert.NotEqual(t, oldEP, newEP)
				var inbound []string
				for _, px := range m.Proxies {
					if px.Inbound != nil {
						inbound = append(inbound, px.ID+"="+px.Inbound.Address+">"+px.Inbound.App)
					}
				}
				assert.Equal(t, []string{"server-proxy-r1=" + newEP + ">" + newAppAddr}, inbound, "the old server proxy's node left the mesh file")
			}
			require.Len(t, m.Services, 1)
			require.Len(t, m.Services[0].Endpoints, 1, "only the new endpoint")
			assert.Equal(t, newEP, m.Services[0].Endpoints[0].Address)
			assert.False(t, m.Services[0].Endpoints[0].Draining)

			running := p.pids()
			require.NoError(t, top.Down(ctx))
			for _, pid := range running {
				assert.True(t, gone(pid), "pid %d stopped by Down", pid)
			}
		})
	}
}

// TestGracefulRestartTeardown: an interrupted restart leaves no process.
// Down while the old instance drains stops the old and the new ones at
// once; a Replace whose context is cancelled while the new app starts
// fails, and Down stops what it had started.
func TestGracefulRestartTeardown(t *testing.T) {
	ctx := context.Background()
	t.Run("down while draining", func(t *testing.T) {
		p, top := upRestartable(t, platform.ModeBoth, false)
		_, err := top.Replace(ctx, "app")
		require.NoError(t, err)
		running := p.pids()
		assert.Len(t, running, 7, "loadgen, meshcontrol, both apps, both server proxies, the client proxy")
		began := time.Now()
		require.NoError(t, top.Down(ctx))
		assert.Less(t, time.Since(began), drainGrace+stopGrace, "Down did not wait for the drain")
		for _, pid := range running {
			assert.True(t, gone(pid), "pid %d stopped by Down", pid)
		}
		assert.Empty(t, p.pids())
		_, err = os.Stat(top.workDir)
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("cancelled while starting", func(t *testing.T) {
		p, top := upRestartable(t, platform.ModeBoth, false)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := top.Replace(cctx, "app")
		require.ErrorIs(t, err, context.Canceled)
		running := p.pids()
		require.NoError(t, top.Down(ctx))
		for _, pid := range running {
			assert.True(t, gone(pid), "pid %d stopped by Down", pid)
		}
		assert.Empty(t, p.pids())
	})
}

// TestGracefulRestartRefused: where nothing would drain the old app, or
// the topology was not set up for it, the fault is refused before any
// load, naming why.
func TestGracefulRestartRefused(t *testing.T) {
	for _, tc := range []struct {
		spec platform.Spec
		want string
	}{
		{platform.Spec{Lane: platform.LaneNone}, "lane none does not run it"},
		{platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeServerOnly, Mesh: platform.MeshOptions{AppGracefulStop: true}}, "mode serveronly has no client proxy"},
		{platform.Spec{Lane: platform.LaneMesh, Mesh: platform.MeshOptions{AppReplicas: 3, AppGracefulStop: true}}, "no app_replicas"},
	} {
		top := &topology{p: New(platform.Binaries{}), spec: tc.spec, mesh: &meshLane{cfg: &meshconfig.Mesh{}}}
		if tc.spec.Mesh.AppReplicas > 0 {
			top.replicas = []string{"127.0.0.1:1"}
		}
		if tc.spec.Lane == platform.LaneNone {
			top.mesh = nil
		}
		err := top.Supports(resilience.KindRestart, "app")
		assert.ErrorIs(t, err, resilience.ErrUnsupported)
		assert.ErrorContains(t, err, tc.want)
	}
	top := &topology{spec: platform.Spec{Lane: platform.LaneMesh}, mesh: &meshLane{cfg: &meshconfig.Mesh{}}}
	assert.ErrorContains(t, top.Supports(resilience.KindRestart, "app"), "without platform.MeshOptions.AppGracefulStop")
	assert.ErrorContains(t, top.Supports(resilience.KindRestart, "meshcontrol"), `not "meshcontrol"`)
	_, err := top.Replaced(context.Background(), "app")
	assert.ErrorContains(t, err, "no instance was replaced")
}
