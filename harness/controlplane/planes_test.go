package controlplane

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meshbench/meshbench/harness/controlplane/istiocfg"
	"github.com/meshbench/meshbench/harness/kubeapi"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

func TestControlPlanesSpec(t *testing.T) {
	s, err := DecodeSpec(map[string]any{"sizes": []any{map[string]any{"services": 10, "proxies": 2}}})
	require.NoError(t, err)
	assert.Equal(t, []string{PlaneMeshcontrol}, s.ControlPlanes, "meshcontrol alone by default")
	s, err = DecodeSpec(map[string]any{"control_planes": []any{"meshcontrol", "istiod"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"meshcontrol", "istiod"}, s.ControlPlanes)
	_, err = DecodeSpec(map[string]any{"control_planes": []any{"meshcontrol", "envoy-cp"}})
	require.EqualError(t, err, `controlplane.control_planes[1]: unknown control plane "envoy-cp" (known: meshcontrol, istiod)`)
	_, err = DecodeSpec(map[string]any{"control_planes": []any{"istiod", "istiod"}})
	require.ErrorContains(t, err, `controlplane.control_planes[1]: "istiod" is named twice`)
}

// TestIstiodUnavailableCarriesNoNumbers: without a pilot-discovery binary,
// istiod's result says so, with the `make istiod` hint, and measures
// nothing; the run goes on.
func TestIstiodUnavailableCarriesNoNumbers(t *testing.T) {
	spec := Spec{Sizes: []Size{{Services: 10, Endpoints: 2, Proxies: 5}}, ControlPlanes: []string{PlaneIstiod}}
	for name, bin := range map[string]string{"not given": "", "absent": filepath.Join(t.TempDir(), "pilot-discovery")} {
		t.Run(name, func(t *testing.T) {
			res, err := Run(context.Background(), spec, Options{Istiod: bin, Scenario: "test", Seed: 1})
			require.NoError(t, err)
			require.Len(t, res, 1)
			r := res[0]
			assert.False(t, r.Valid)
			assert.Equal(t, results.LaneIstio, r.Lane)
			require.NotNil(t, r.ControlPlane)
			assert.Equal(t, PlaneIstiod, r.ControlPlane.Name)
			assert.Contains(t, r.ControlPlane.Unavailable, "make istiod")
			assert.Equal(t, r.InvalidReasons, []string{r.ControlPlane.Unavailable})
			assert.Zero(t, r.ControlPlane.ConvergenceMs.P50)
			assert.Zero(t, r.ControlPlane.Pushes)
			assert.Empty(t, r.Components)
		})
	}
}

// TestIstiodWithoutAPIServerBinaries: a pilot-discovery binary is not
// enough: without etcd and kube-apiserver istiod's result says which file
// is missing and how to build it, with no numbers.
func TestIstiodWithoutAPIServerBinaries(t *testing.T) {
	kubeBin := t.TempDir()
	t.Setenv(kubeapi.BinDirEnv, kubeBin)
	istiod := filepath.Join(t.TempDir(), "pilot-discovery")
	require.NoError(t, os.WriteFile(istiod, []byte("#!/bin/sh\nexit 1\n"), 0o755))
	spec := Spec{Sizes: []Size{{Services: 10, Endpoints: 2, Proxies: 5}}, ControlPlanes: []string{PlaneIstiod}}
	res, err := Run(context.Background(), spec, Options{Istiod: istiod, Scenario: "test", Seed: 1})
	require.NoError(t, err)
	require.Len(t, res, 1)
	why := res[0].ControlPlane.Unavailable
	assert.Contains(t, why, filepath.Join(kubeBin, "etcd"))
	assert.Contains(t, why, "make istiod")
	assert.False(t, res[0].Valid)
	assert.Empty(t, res[0].Components)
}

// TestIstioViewReadsRevisionsFromResources: a load assignment carries the
// flap that wrote its newest address, a virtual host the edit that set its
// timeout; both count only once the ACK after them is sent.
func TestIstioViewReadsRevisionsFromResources(t *testing.T) {
	topo := newTopology(Size{Services: 3, Endpoints: 2, Proxies: 1}, 0, 1)
	topo.addrRev.Store("10.9.0.1", int64(7))
	tr := newTracker(1)
	hosts := map[string]string{istiocfg.Host("svc-0001"): "svc-0001"}
	v := newIstioView(tr, 0, hosts, topo.revOf)
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: "outbound|8080||" + istiocfg.Host("svc-0001"), Endpoints: []*endpointv3.LocalityLbEndpoints{{
		LbEndpoints: []*endpointv3.LbEndpoint{lbEndpoint("10.0.0.3"), lbEndpoint("10.9.0.1")},
	}}}
	rc := &routev3.RouteConfiguration{Name: "8080", VirtualHosts: []*routev3.VirtualHost{
		{Name: "allow_any", Routes: []*routev3.Route{{}}},
		{Name: istiocfg.Host("svc-0001") + ":8080", Routes: []*routev3.Route{{Action: &routev3.Route_Route{Route: &routev3.RouteAction{Timeout: durationpb.New(1042 * time.Millisecond)}}}}},
	}}
	other := &endpointv3.ClusterLoadAssignment{ClusterName: "outbound|8080||elsewhere.example"}
	require.NoError(t, v.Apply(context.Background(), xdsconfig.Resources{Endpoints: []*endpointv3.ClusterLoadAssignment{cla, other}, Routes: []*routev3.RouteConfiguration{rc}}))
	assert.Empty(t, tr.acked[0], "nothing counts before the ACK")
	v.OnAck(xdsconfig.TypeRoute, "v1", true)
	assert.Empty(t, tr.acked[0], "a NACK commits nothing")
	v.OnAck(xdsconfig.TypeRoute, "v1", false)
	assert.Equal(t, map[string]int64{viewKey(typeEndpoint, "svc-0001"): 7, viewKey(typeRoute, "svc-0001"): 42}, tr.acked[0])
	assert.True(t, tr.held([]int{2}))
	assert.False(t, tr.held([]int{3}))
}

func lbEndpoint(ip string) *endpointv3.LbEndpoint {
	return &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: &corev3.Address{
		Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 8080}}},
	}}}}
}

// istiodBin is the pilot-discovery `make istiod` builds, from the
// repository root above this package.
func istiodBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MESHBENCH_ISTIOD"); p != "" {
		return p
	}
	wd, err := os.Getwd()
	require.NoError(t, err)
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "bin", "pilot-discovery")
		}
	}
	return ""
}
