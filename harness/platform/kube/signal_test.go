package kube

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/resilience"
	"github.com/meshbench/meshbench/mesh-under-test/deploy"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// recordingSignaller is the Signaller seam's fake: it records each signal
// (the kind platform's real one execs kill(1) in the node container).
type recordingSignaller struct {
	mu   sync.Mutex
	sent []string // node/container/sig
	err  error
}

func (s *recordingSignaller) Signal(_ context.Context, node, id, sig string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return "", s.err
	}
	s.sent = append(s.sent, node+"/"+id+"/"+sig)
	return fmt.Sprintf("pid 42 on node %s (SIG%s)", node, sig), nil
}

// TestSignalFaults: pause, resume, fail and heal signal the named app
// pod's app container on its node (STOP, CONT, USR1, USR2); a signal that
// fails fails the fault; without a Signaller (an existing cluster) they
// are refused before anything is signalled.
func TestSignalFaults(t *testing.T) {
	ctx := context.Background()
	p, _ := newTestPlatform(t, allImages)
	p.opts.Name = "kind"
	sig := &recordingSignaller{}
	p.opts.Signaller = sig
	top, err := p.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeClientOnly,
		Mesh: platform.MeshOptions{AppReplicas: 3, AppFailStatus: 503}})
	require.NoError(t, err)
	defer top.Down(ctx)
	ft := top.(resilience.Faultable)

	what, err := ft.Pause(ctx, "app")
	require.NoError(t, err)
	assert.Equal(t, "pod app container app: pid 42 on node node-a (SIGSTOP)", what)
	_, err = ft.Resume(ctx, "app")
	require.NoError(t, err)
	_, err = ft.Fail(ctx, "app-3")
	require.NoError(t, err)
	_, err = ft.Heal(ctx, "app-3")
	require.NoError(t, err)
	assert.Equal(t, []string{"node-a/app-app/STOP", "node-a/app-app/CONT", "node-a/app-3-app/USR1", "node-a/app-3-app/USR2"}, sig.sent,
		"each signal reaches the named pod's app container (fake container ids are pod-container)")

	_, err = ft.Fail(ctx, "app-4")
	assert.ErrorIs(t, err, resilience.ErrUnsupported, "no such replica")
	_, err = ft.Pause(ctx, "client-proxy")
	assert.ErrorContains(t, err, "none of this lane's app pods (app, app-2, app-3)")
	sig.err = errors.New("kill: no such process")
	_, err = ft.Fail(ctx, "app-2")
	assert.ErrorContains(t, err, "fail app-2: kill: no such process")
	assert.Len(t, sig.sent, 4)

	// An existing cluster: no Signaller, nothing signalled.
	p2, _ := newTestPlatform(t, allImages)
	top2, err := p2.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth})
	require.NoError(t, err)
	defer top2.Down(ctx)
	_, err = top2.(resilience.Faultable).Pause(ctx, "app")
	require.ErrorIs(t, err, resilience.ErrUnsupported)
	assert.ErrorContains(t, err, "unsupported on kube: ")
	assert.ErrorContains(t, err, "never on the machines of an existing cluster")
}

// TestAppReplicas: with resilience.app_replicas the clientonly lane runs
// app, app-2 ... as pods of the app's Service (label app=echo) with the
// fail status on their command line and no sidecar, measures each, and
// declares the service without endpoints so that meshcontrol takes every
// replica's IP from the EndpointSlices; other lanes refuse replicas.
func TestAppReplicas(t *testing.T) {
	ctx := context.Background()
	p, cs := newTestPlatform(t, allImages)
	top, err := p.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeClientOnly,
		Mesh: platform.MeshOptions{AppReplicas: 3, AppFailStatus: 503}})
	require.NoError(t, err)
	defer top.Down(ctx)
	tp := top.(*topology)
	for _, name := range []string{"app", "app-2", "app-3"} {
		pod, err := cs.CoreV1().Pods(tp.ns).Get(ctx, name, metav1.GetOptions{})
		require.NoError(t, err, name)
		assert.Equal(t, "echo", pod.Labels["app"], "%s is an endpoint of the app's Service", name)
		require.Len(t, pod.Spec.Containers, 1, "%s has no sidecar", name)
		assert.Equal(t, []string{"echo", "--listen", "0.0.0.0:8080", "--fail-status", "503"}, pod.Spec.Containers[0].Args)
	}
	var measured []string
	for _, pr := range top.Probes() {
		measured = append(measured, pr.Name())
	}
	assert.Subset(t, measured, []string{"app", "app-2", "app-3"})
	cm, err := cs.CoreV1().ConfigMaps(tp.ns).Get(ctx, meshConfigMap, metav1.GetOptions{})
	require.NoError(t, err)
	m, err := meshconfig.Parse("mesh.yaml", []byte(cm.Data["mesh.yaml"]))
	require.NoError(t, err)
	for _, s := range m.Services {
		if s.Name == "app" {
			assert.Empty(t, s.Endpoints, "the endpoints come from the registry (every replica)")
		}
	}

	for _, spec := range []platform.Spec{
		{Lane: platform.LaneMesh, Mode: platform.ModeBoth, Mesh: platform.MeshOptions{AppReplicas: 3}},
		{Lane: platform.LaneNone, Mesh: platform.MeshOptions{AppReplicas: 2}},
	} {
		_, err := p.Up(ctx, spec)
		assert.ErrorContains(t, err, "only lane mesh/clientonly with meshcontrol balances over them", laneName(spec))
	}
	p2, _ := newTestPlatform(t, Images{Meshbench: "mb:1", Meshproxy: "mp:1"})
	_, err = p2.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeClientOnly, Mesh: platform.MeshOptions{AppReplicas: 3}})
	assert.ErrorContains(t, err, "unsupported on kube: 3 app replicas", "without meshcontrol nothing balances over the replicas")
}

// TestScrapeThroughPortForward: the rotate fault's counter is read from
// meshcontrol's admin listener on its pod's loopback, through a
// port-forward to the port the manifest gives --admin, closed after.
func TestScrapeThroughPortForward(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "# TYPE meshcontrol_ca_certificates_issued_total counter\nmeshcontrol_ca_certificates_issued_total 7\n")
	}))
	defer srv.Close()
	p, _ := newTestPlatform(t, allImages)
	var forwarded []string
	stopped := 0
	p.opts.PortForward = func(_ context.Context, ns, pod string, port int) (string, func(), error) {
		forwarded = append(forwarded, fmt.Sprintf("%s:%d", pod, port))
		return strings.TrimPrefix(srv.URL, "http://"), func() { stopped++ }, nil
	}
	top, err := p.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth})
	require.NoError(t, err)
	defer top.Down(ctx)
	ft := top.(resilience.Faultable)
	require.NoError(t, ft.Supports(resilience.KindRotate, ""))
	mfs, err := ft.Scrape(ctx, "meshcontrol")
	require.NoError(t, err)
	require.Contains(t, mfs, "meshcontrol_ca_certificates_issued_total")
	assert.Equal(t, 7.0, mfs["meshcontrol_ca_certificates_issued_total"].GetMetric()[0].GetCounter().GetValue())
	assert.Equal(t, []string{"meshcontrol:15014"}, forwarded)
	assert.Equal(t, 1, stopped, "the port-forward is closed after the scrape")

	_, err = ft.Scrape(ctx, "app")
	assert.ErrorContains(t, err, `component "app" has no metrics the harness reads`)
	// The client sidecar's counters (a scenario's retries): its admin port
	// on the load client pod's loopback.
	_, err = ft.Scrape(ctx, "client-proxy")
	require.NoError(t, err)
	assert.Equal(t, []string{"meshcontrol:15014", "loadgen:15000"}, forwarded)
	assert.Equal(t, 2, stopped)
	manifest, err := deploy.Meshcontrol("ns", "mc:1")
	require.NoError(t, err)
	assert.Contains(t, manifest, fmt.Sprintf("--admin=127.0.0.1:%d", meshcontrolAdminPort), "the port-forward's port is the manifest's admin port")
}
