package istiocfg

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// smallMesh has what the control-plane scenario generates: services with
// endpoints, a route rule and a destination each, one scoped proxy.
func smallMesh() *meshconfig.Mesh {
	m := &meshconfig.Mesh{Revision: 1}
	for i, name := range []string{"svc-0000", "svc-0001"} {
		m.Services = append(m.Services, meshconfig.Service{Name: name, Port: 8080, Endpoints: []meshconfig.Endpoint{
			{Address: "10.0.0." + string(rune('1'+2*i)) + ":8080", Labels: map[string]string{"app": name}},
			{Address: "10.0.0." + string(rune('2'+2*i)) + ":8080", Labels: map[string]string{"app": name}},
		}})
		m.Policy.Routes = append(m.Policy.Routes, meshconfig.ServiceRoutes{Service: name, Rules: []meshconfig.Rule{{
			Match: meshconfig.Match{PathPrefix: "/"}, Timeout: meshconfig.Duration(1042 * time.Millisecond), Retries: &meshconfig.Retries{Attempts: 2},
		}}})
		m.Policy.Destinations = append(m.Policy.Destinations, meshconfig.Destination{
			Service:          name,
			CircuitBreaker:   &meshconfig.CircuitBreaker{MaxConnections: 1000, MaxRequests: 1000, RetryBudgetPercent: 20},
			OutlierDetection: &meshconfig.OutlierDetection{Consecutive5xx: 5, Interval: meshconfig.Duration(time.Second), BaseEjectionTime: meshconfig.Duration(30 * time.Second)},
		})
	}
	m.Proxies = []meshconfig.Proxy{{ID: "proxy-000", Service: "svc-0000", Egress: []string{"svc-0001"}}, {ID: "proxy-001", Service: "svc-0001"}}
	return m
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), string(got))
}

// TestWriteAllGolden: the files istiod reads, byte for byte.
func TestWriteAllGolden(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteAll(dir, smallMesh()))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"sidecars.yaml", "svc-0000.yaml", "svc-0001.yaml"}, names, "no temporary file left behind")
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		require.NoError(t, err)
		golden(t, n, data)
	}
	mc, err := MeshConfig("/var/lib/istiod/config")
	require.NoError(t, err)
	golden(t, "mesh.yaml", mc)
}

// TestWriteServiceRewritesOneFile: a change rewrites its service's file
// only, and the new timeout and address appear in it.
func TestWriteServiceRewritesOneFile(t *testing.T) {
	dir := t.TempDir()
	m := smallMesh()
	require.NoError(t, WriteAll(dir, m))
	before, err := os.ReadFile(filepath.Join(dir, "svc-0000.yaml"))
	require.NoError(t, err)
	m.Services[1].Endpoints[0].Address = "10.9.9.9:8080"
	m.Policy.Routes[1].Rules[0].Timeout = meshconfig.Duration(1077 * time.Millisecond)
	require.NoError(t, WriteService(dir, m, "svc-0001"))
	after, err := os.ReadFile(filepath.Join(dir, "svc-0000.yaml"))
	require.NoError(t, err)
	assert.Equal(t, before, after)
	got, err := os.ReadFile(filepath.Join(dir, "svc-0001.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(got), "address: 10.9.9.9")
	assert.Contains(t, string(got), "timeout: 1.077s")
	_, err = os.Stat(filepath.Join(dir, "svc-0001.yaml.tmp"))
	assert.True(t, os.IsNotExist(err))
}

// TestUnexpressibleFeaturesAreErrors: what istiocfg cannot translate is
// refused by name, never dropped.
func TestUnexpressibleFeaturesAreErrors(t *testing.T) {
	for name, edit := range map[string]func(*meshconfig.Mesh){
		"split":        func(m *meshconfig.Mesh) { m.Policy.Routes[0].Rules[0].Split = []meshconfig.WeightedDest{{}} },
		"fault":        func(m *meshconfig.Mesh) { m.Policy.Routes[0].Rules[0].Fault = &meshconfig.Fault{} },
		"bad address":  func(m *meshconfig.Mesh) { m.Services[0].Endpoints[0].Address = "10.0.0.1" },
		"port differs": func(m *meshconfig.Mesh) { m.Services[0].Endpoints[0].Address = "10.0.0.1:9090" },
	} {
		t.Run(name, func(t *testing.T) {
			m := smallMesh()
			edit(m)
			err := WriteService(t.TempDir(), m, "svc-0000")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "svc-0000")
		})
	}
	require.ErrorContains(t, WriteService(t.TempDir(), smallMesh(), "nope"), `no service "nope"`)
	_, err := MeshConfig("relative/dir")
	require.ErrorContains(t, err, "absolute")
}

// TestNodeIdentity: the node ID has Istio's four ~-separated parts and
// the metadata carries what a Sidecar selects on.
func TestNodeIdentity(t *testing.T) {
	assert.Equal(t, "sidecar~10.255.0.7~proxy-007.bench~bench.svc.cluster.local", NodeID("proxy-007", "10.255.0.7"))
	md, err := NodeMetadata("proxy-007", "svc-0003", "10.255.0.7", "1.30.0")
	require.NoError(t, err)
	raw, err := yaml.Marshal(md.AsMap())
	require.NoError(t, err)
	golden(t, "node-metadata.yaml", raw)
}
