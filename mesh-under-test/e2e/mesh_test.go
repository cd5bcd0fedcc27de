package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/meshbench/meshbench/internal/ports"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

const token = "e2e-bootstrap-token"

// Identities of the two callers the tests use.
const (
	idA = "spiffe://cluster.local/ns/default/sa/a"
	idB = "spiffe://cluster.local/ns/default/sa/b"
)

// app is the workload behind the server proxy: it records the path of
// every request it receives and answers 200 "ok" (/slow after 2 s), over
// HTTP/1.1 or h2c; gRPC requests go to a gRPC health service.
type app struct {
	mu    sync.Mutex
	paths []string
	srv   *httptest.Server
}

func startApp(t *testing.T) *app {
	a := &app{}
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, health.NewServer())
	a.srv = httptest.NewServer(h2c.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.paths = append(a.paths, r.Method+" "+r.RequestURI)
		a.mu.Unlock()
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			gs.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/slow" { // in flight for a while (drain tests)
			time.Sleep(2 * time.Second)
		}
		_, _ = io.WriteString(w, "ok")
	}), &http2.Server{}))
	t.Cleanup(a.srv.Close)
	t.Cleanup(gs.Stop)
	return a
}

// seen returns the requests the app received so far.
func (a *app) seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.paths...)
}

// mesh is one running mesh: meshcontrol, a server proxy for service "web"
// in front of the app, and two client proxies (identities a and b), each
// with an outbound port bound to "web".
type mesh struct {
	t        *testing.T
	file     string
	app      *app
	inbound  string // the server proxy's inbound listener
	outA     string // client a's outbound listener
	outB     string
	controlA string // meshcontrol's admin address
	protocol string // service web's protocol (meshconfig.Protocol*; "": HTTP/1.1)
	admin    map[string]string
}

// newMesh writes the mesh file (policy edits it) and starts every process;
// proxyArgs are added to each meshproxy's flags.
func newMesh(t *testing.T, mtls string, policy func(*meshconfig.Policy), proxyArgs ...string) *mesh {
	t.Helper()
	return newMeshFor(t, "", mtls, policy, proxyArgs...)
}

// newMeshFor is newMesh with service web speaking protocol.
func newMeshFor(t *testing.T, protocol, mtls string, policy func(*meshconfig.Policy), proxyArgs ...string) *mesh {
	t.Helper()
	m := &mesh{t: t, app: startApp(t), inbound: freeAddr(t), outA: freeAddr(t), outB: freeAddr(t), protocol: protocol,
		admin: map[string]string{}}
	m.file = filepath.Join(t.TempDir(), "mesh.yaml")
	m.write(mtls, policy, 1)
	listen, admin := freeAddr(t), freeAddr(t)
	m.controlA = admin
	start(t, "meshcontrol", "--mesh", m.file, "--listen", listen, "--admin", admin, "--bootstrap-token", token, "--debounce", "1ms")
	awaitAdmin(t, admin)
	for _, id := range []string{"web", "client-a", "client-b"} {
		m.admin[id] = freeAddr(t)
		start(t, "meshproxy", append([]string{"--id", id, "--xds", listen, "--xds-token", token, "--admin", m.admin[id], "--log-level", "warn"}, proxyArgs...)...)
	}
	return m
}

// awaitAdmin waits until meshcontrol has loaded its mesh (/ready is 200):
// proxies started before the CA listens back off for seconds, and a
// certificate asked for before the mesh is loaded is refused as Unavailable.
func awaitAdmin(t *testing.T, admin string) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + admin + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 10*time.Millisecond, "meshcontrol ready")
}

// write renders the mesh file for revision rev.
func (m *mesh) write(mtls string, policy func(*meshconfig.Policy), rev int64) {
	mc := &meshconfig.Mesh{Revision: rev,
		Services: []meshconfig.Service{{Name: "web", Protocol: m.protocol, Endpoints: []meshconfig.Endpoint{{Address: m.inbound}}}},
		Proxies: []meshconfig.Proxy{
			{ID: "web", Service: "web", Inbound: &meshconfig.Inbound{Address: m.inbound, App: m.app.srv.Listener.Addr().String()}},
			{ID: "client-a", Identity: idA, Outbound: []meshconfig.Outbound{{Address: m.outA, Service: "web"}}, Egress: []string{"web"}},
			{ID: "client-b", Identity: idB, Outbound: []meshconfig.Outbound{{Address: m.outB, Service: "web"}}, Egress: []string{"web"}},
		},
		Policy: meshconfig.Policy{MTLS: mtls},
	}
	if policy != nil {
		policy(&mc.Policy)
	}
	mc.Normalize()
	// Write then rename, so meshcontrol's watcher never reads half a file.
	tmp := m.file + ".tmp"
	require.NoError(m.t, mc.WriteFile(tmp))
	require.NoError(m.t, os.Rename(tmp, m.file))
}

// start runs a built binary until the test ends.
func start(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s %v output:\n%s", name, args, out.String())
		}
	})
}

// freeAddr is a port below the ephemeral range (internal/ports), which
// the test's own outgoing connections cannot take before the proxy binds it.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := ports.Free()
	require.NoError(t, err)
	return addr
}

// raw sends one request written as raw bytes (so paths reach the proxy
// exactly as written) and returns the response status.
func raw(addr, method, target string, extra ...string) (int, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: web\r\n", method, target)
	for _, h := range extra {
		req += h + "\r\n"
	}
	req += "Connection: close\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// await waits until a request through addr gets want, which shows the
// proxies run the configuration under test.
func await(t *testing.T, addr, method, target string, want int) {
	t.Helper()
	var last string
	ok := func() bool {
		s, err := raw(addr, method, target)
		last = fmt.Sprint(s, err)
		return err == nil && s == want
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			require.FailNow(t, "configuration not in effect", "%s %s via %s: want %d, last %s", method, target, addr, want, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
