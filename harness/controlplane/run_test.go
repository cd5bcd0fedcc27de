package controlplane

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/meshbench/meshbench/harness/kubeapi"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/testbin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) { testbin.Main(m) }

func TestDecodeSpec(t *testing.T) {
	s, err := DecodeSpec(map[string]any{"sizes": []any{map[string]any{"services": 10, "proxies": 2}}, "churn_rate": 20, "change_timeout": "3s"})
	require.NoError(t, err)
	assert.Equal(t, []Size{{10, 2, 2}}, s.Sizes)
	assert.Equal(t, 3*time.Second, s.ChangeTimeout.Duration)
	_, err = DecodeSpec(map[string]any{"churn": 20})
	require.ErrorContains(t, err, "churn")
	_, err = DecodeSpec(map[string]any{"sizes": []any{map[string]any{"services": 0, "proxies": 2}}})
	require.ErrorContains(t, err, "sizes[0]")
	assert.Equal(t, ADSTLS, s.ADSTransport, "TLS unless plaintext is asked for by name")
	s, err = DecodeSpec(map[string]any{"ads_transport": "plaintext"})
	require.NoError(t, err)
	assert.Equal(t, ADSPlaintext, s.ADSTransport)
	_, err = DecodeSpec(map[string]any{"ads_transport": "insecure"})
	require.ErrorContains(t, err, `controlplane.ads_transport: "insecure"`)
}

func TestRevision(t *testing.T) {
	for v, want := range map[string]int64{"r12-abc-3": 12, "r0-x-1": 0, "v3": -1, "": -1, "rX-1": -1} {
		assert.Equal(t, want, revision(v), v)
	}
}

func TestRunSmallMesh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs meshcontrol")
	}
	bin := filepath.Join(testbin.Dir(t), "meshcontrol") // built before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	spec := Spec{Sizes: []Size{{Services: 20, Endpoints: 2, Proxies: 5}}, EgressPerProxy: 5, ChurnRate: 20, Changes: 20, PolicyEditPercent: 30}
	res, err := Run(ctx, spec, Options{Meshcontrol: bin, Scenario: "test", Seed: 7})
	require.NoError(t, err)
	require.Len(t, res, 1)
	r := res[0]
	assert.True(t, r.Valid, r.InvalidReasons)
	cp := r.ControlPlane
	require.NotNil(t, cp)
	assert.Equal(t, 20, cp.Services)
	assert.Equal(t, int64(20), r.Requests, "every change converged")
	assert.Greater(t, cp.ConvergenceMs.P50, 0.0)
	assert.LessOrEqual(t, cp.ConvergenceMs.P50, cp.ConvergenceMs.P99)
	assert.Less(t, cp.ConvergenceMs.P99, 5000.0)
	assert.Greater(t, cp.Pushes, int64(0))
	assert.Greater(t, cp.BytesPushed, int64(0))
	assert.Zero(t, cp.Nacks)
	assert.Equal(t, ADSTLS, r.Mesh.Extra["ads_transport"], "the simulated proxies reach meshcontrol over TLS by default")
	c := r.Component("control-plane")
	require.NotNil(t, c)
	assert.Greater(t, c.CPUSeconds, 0.0)
	assert.Greater(t, c.RSSBytesSteady, int64(1<<20))
}

// TestRunBesideIstiod runs a tiny size against meshcontrol and the real
// istiod (bin/pilot-discovery from `make istiod`, or $MESHBENCH_ISTIOD) on
// its own etcd and kube-apiserver: the same mesh, fleet and churn, both
// converging, both measured, nothing left running.
func TestRunBesideIstiod(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs meshcontrol and istiod")
	}
	istiod := istiodBin(t)
	if st, err := os.Stat(istiod); err != nil || st.IsDir() {
		t.Skipf("istiod not built (no %s): run `make istiod` (docs/controlplane.md)", istiod)
	}
	if _, err := kubeapi.BinDir(); err != nil {
		t.Skipf("istiod's API server cannot run: %v", err)
	}
	mc := filepath.Join(testbin.Dir(t), "meshcontrol")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	spec := Spec{Sizes: []Size{{Services: 10, Endpoints: 2, Proxies: 5}}, ControlPlanes: []string{PlaneMeshcontrol, PlaneIstiod},
		ChurnRate: 2, Changes: 6, PolicyEditPercent: 50, ChangeTimeout: Duration{20 * time.Second}, ConnectTimeout: Duration{60 * time.Second}}
	dir := t.TempDir()
	res, err := Run(ctx, spec, Options{Meshcontrol: mc, Istiod: istiod, WorkDir: dir, Scenario: "test", Seed: 3,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(dir, "istiod-*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("%s:\n%s", l, tail(b, 4000))
		}
	}
	require.NoError(t, err)
	require.Len(t, res, 2)
	for i, name := range []string{PlaneMeshcontrol, PlaneIstiod} {
		r := res[i]
		cp := r.ControlPlane
		require.NotNil(t, cp)
		assert.Equal(t, name, cp.Name)
		assert.Empty(t, cp.Unavailable)
		assert.True(t, r.Valid, "%s: %v", name, r.InvalidReasons)
		assert.Equal(t, int64(6), r.Requests, "%s: every change converged", name)
		assert.Greater(t, cp.ConvergenceMs.P50, 0.0, name)
		assert.Greater(t, cp.Pushes, int64(0), name)
		assert.Greater(t, cp.BytesPushed, int64(0), name)
		assert.Zero(t, cp.Nacks, name)
		c := r.Component("control-plane")
		require.NotNil(t, c, name)
		assert.Greater(t, c.CPUSeconds, 0.0, name)
		assert.Greater(t, c.RSSBytesSteady, int64(1<<20), name)
	}
	assert.Equal(t, results.LaneIstio, res[1].Lane)
	apiCPU, err := strconv.ParseFloat(res[1].Labels["api_server_cpu_s"], 64)
	require.NoError(t, err, "istiod's API server CPU over the window is kept as a label")
	assert.GreaterOrEqual(t, apiCPU, 0.0)
	assert.Less(t, apiCPU, res[1].DurationS*2, "at most both cores over the window")

	// istiod's API server ran, and was stopped with it.
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "istiod-"+spec.Sizes[0].Name(), "kube", "kubeconfig"))
	require.NoError(t, err)
	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	_, err = cs.CoreV1().Namespaces().Get(ctx, "istio-system", metav1.GetOptions{})
	assert.Error(t, err, "istiod's API server still serves after the run")
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
