package xds_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/mesh-under-test/control/app"
	"github.com/meshbench/meshbench/mesh-under-test/control/translate"
	"github.com/meshbench/meshbench/mesh-under-test/xds"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

var protocols = []string{xds.ProtocolDelta, xds.ProtocolSotW}

// recorder is a test Applier (the seam the proxy implements): it keeps
// every accepted set and rejects what reject refuses.
type recorder struct {
	mu      sync.Mutex
	applied []xdsconfig.Resources
	reject  func(xdsconfig.Resources) error
	notify  chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 100)} }

func (r *recorder) Apply(_ context.Context, res xdsconfig.Resources) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reject != nil {
		if err := r.reject(res); err != nil {
			return err
		}
	}
	r.applied = append(r.applied, res)
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return nil
}

func (r *recorder) last() (xdsconfig.Resources, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.applied) == 0 {
		return xdsconfig.Resources{}, 0
	}
	return r.applied[len(r.applied)-1], len(r.applied)
}

// waitFor waits until the last applied set satisfies cond.
func (r *recorder) waitFor(t *testing.T, what string, cond func(xdsconfig.Resources) bool) xdsconfig.Resources {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if res, n := r.last(); n > 0 && cond(res) {
			return res
		}
		select {
		case <-r.notify:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			res, n := r.last()
			t.Fatalf("timed out waiting for %s (applies %d, last version %q)", what, n, res.Version)
		}
	}
}

func endpoints(r xdsconfig.Resources, cluster string) []string {
	var out []string
	for _, cla := range r.Endpoints {
		if cla.ClusterName != cluster {
			continue
		}
		for _, l := range cla.Endpoints {
			for _, e := range l.LbEndpoints {
				sa := e.GetEndpoint().GetAddress().GetSocketAddress()
				out = append(out, fmt.Sprintf("%s:%d", sa.Address, sa.GetPortValue()))
			}
		}
	}
	return out
}

func meshDoc(rev int, echoEndpoints ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "revision: %d\nservices:\n  - name: echo\n    endpoints:\n", rev)
	for _, e := range echoEndpoints {
		fmt.Fprintf(&b, "      - address: %s\n", e)
	}
	b.WriteString("  - {name: other, endpoints: [{address: '127.0.0.1:7001'}]}\n")
	b.WriteString("  - {name: third, endpoints: [{address: '127.0.0.1:7002'}]}\n")
	b.WriteString("proxies:\n  - id: p1\n    egress: [echo]\n    outbound: [{address: '127.0.0.1:15001', service: echo}]\n")
	return b.String()
}

func writeMesh(t *testing.T, path, doc string) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(doc), 0o644))
	require.NoError(t, os.Rename(tmp, path))
}

func startControl(t *testing.T, ctx context.Context, meshPath, listen string) *app.Instance {
	t.Helper()
	inst, err := app.Start(ctx, app.Config{MeshFile: meshPath, Listen: listen, Admin: "127.0.0.1:0", BootstrapToken: "t0ken"})
	require.NoError(t, err)
	return inst
}

func scrape(t *testing.T, inst *app.Instance) string {
	t.Helper()
	resp, err := http.Get("http://" + inst.AdminAddr() + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func run(t *testing.T, ctx context.Context, c *xds.Client, a xdsconfig.Applier) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, a) }()
	t.Cleanup(func() {
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Error("client did not stop")
		}
	})
}

func TestPushAckAndScoping(t *testing.T) {
	for _, p := range protocols {
		t.Run(p, func(t *testing.T) { testPushAckAndScoping(t, p) })
	}
}

func testPushAckAndScoping(t *testing.T, protocol string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "mesh.yaml")
	writeMesh(t, path, meshDoc(1, "127.0.0.1:9001"))
	inst := startControl(t, ctx, path, "127.0.0.1:0")
	defer inst.Stop()

	rec := newRecorder()
	c := xds.New(xds.Options{Addr: inst.Addr(), NodeID: "p1", Protocol: protocol})
	run(t, ctx, c, rec)
	first := rec.waitFor(t, "first config", func(r xdsconfig.Resources) bool { return len(endpoints(r, "outbound|echo")) == 1 })
	// Scoping: p1 may call echo only.
	require.Len(t, first.Clusters, 1)
	assert.Equal(t, "outbound|echo", first.Clusters[0].Name)
	require.Len(t, first.Listeners, 1)
	require.Len(t, first.Routes, 1)
	assert.True(t, strings.HasPrefix(first.Version, "r1-"), first.Version)

	// A registry change is pushed (EDS only) and ACKed.
	writeMesh(t, path, meshDoc(2, "127.0.0.1:9001", "127.0.0.1:9002"))
	second := rec.waitFor(t, "second endpoint", func(r xdsconfig.Resources) bool { return len(endpoints(r, "outbound|echo")) == 2 })
	assert.Same(t, first.Clusters[0], second.Clusters[0], "unchanged clusters are not re-sent")
	require.Eventually(t, func() bool {
		return inst.Server.Acked("p1", translate.TypeEndpoint) == strings.Split(second.Version, "/")[1]
	}, 5*time.Second, 10*time.Millisecond)
	m := scrape(t, inst)
	assert.Contains(t, m, "meshcontrol_connected_proxies 1")
	assert.Regexp(t, `meshcontrol_convergence_seconds_count [1-9]`, m)
	assert.Regexp(t, `meshcontrol_xds_pushes_total\{type="type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"\} [2-9]`, m)
	assert.Zero(t, c.Stats().Nacks)
}

func TestNackKeepsPreviousVersion(t *testing.T) {
	for _, p := range protocols {
		t.Run(p, func(t *testing.T) { testNackKeepsPreviousVersion(t, p) })
	}
}

func testNackKeepsPreviousVersion(t *testing.T, protocol string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "mesh.yaml")
	writeMesh(t, path, meshDoc(1, "127.0.0.1:9001"))
	inst := startControl(t, ctx, path, "127.0.0.1:0")
	defer inst.Stop()

	rec := newRecorder()
	// The proxy cannot use port 6666 (say, it is its own admin port).
	rec.reject = func(r xdsconfig.Resources) error {
		for _, e := range endpoints(r, "outbound|echo") {
			if strings.HasSuffix(e, ":6666") {
				return errors.New("endpoint on a reserved port")
			}
		}
		return nil
	}
	c := xds.New(xds.Options{Addr: inst.Addr(), NodeID: "p1", Protocol: protocol})
	run(t, ctx, c, rec)
	good := rec.waitFor(t, "first config", func(r xdsconfig.Resources) bool { return len(endpoints(r, "outbound|echo")) == 1 })

	writeMesh(t, path, meshDoc(2, "127.0.0.1:9001", "127.0.0.1:6666"))
	require.Eventually(t, func() bool { return c.Stats().Nacks == 1 }, 5*time.Second, 10*time.Millisecond)
	cur, n := rec.last()
	assert.Equal(t, 1, n, "no new configuration was applied")
	assert.Equal(t, good.Version, cur.Version, "proxy stays on its previous version")
	assert.Equal(t, strings.Split(good.Version, "/")[1], inst.Server.Acked("p1", translate.TypeEndpoint), "control plane sees the old version")
	require.Eventually(t, func() bool {
		return strings.Contains(scrape(t, inst), `meshcontrol_xds_nacks_total{type="type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"} 1`)
	}, 5*time.Second, 20*time.Millisecond)

	// A fixed configuration is accepted again.
	writeMesh(t, path, meshDoc(3, "127.0.0.1:9001", "127.0.0.1:9003"))
	rec.waitFor(t, "fixed config", func(r xdsconfig.Resources) bool { return len(endpoints(r, "outbound|echo")) == 2 })
	assert.Equal(t, int64(1), c.Stats().Nacks)
}

func TestReconnectAfterControlPlaneRestart(t *testing.T) {
	for _, p := range protocols {
		t.Run(p, func(t *testing.T) { testReconnectAfterControlPlaneRestart(t, p) })
	}
}

func testReconnectAfterControlPlaneRestart(t *testing.T, protocol string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "mesh.yaml")
	writeMesh(t, path, meshDoc(1, "127.0.0.1:9001"))
	inst := startControl(t, ctx, path, "127.0.0.1:0")
	addr := inst.Addr()

	rec := newRecorder()
	c := xds.New(xds.Options{Addr: addr, NodeID: "p1", Protocol: protocol, BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
	run(t, ctx, c, rec)
	rec.waitFor(t, "first config", func(r xdsconfig.Resources) bool { return len(endpoints(r, "outbound|echo")) == 1 })

	require.NoError(t, inst.Stop())
	// While the control plane is away the mesh changes; the proxy keeps
	// its last configuration (nothing new is applied, nothing is cleared).
	writeMesh(t, path, meshDoc(2, "127.0.0.1:9001", "127.0.0.1:9002"))
	time.Sleep(300 * time.Millisecond)
	_, n := rec.last()
	assert.Equal(t, 1, n)

	inst2 := startControl(t, ctx, path, addr)
	defer inst2.Stop()
	rec.waitFor(t, "config from the new control plane", func(r xdsconfig.Resources) bool { return len(endpoints(r, "outbound|echo")) == 2 })
	assert.GreaterOrEqual(t, c.Stats().Reconnects, int64(1))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, r := range rec.applied {
		assert.NotEmpty(t, r.Listeners, "never applied an empty configuration")
	}
}
