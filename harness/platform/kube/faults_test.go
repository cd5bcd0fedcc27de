package kube

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/resilience"
	"github.com/meshbench/meshbench/internal/faultdocs"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// TestSupports: the faults the kube platform does, and for the others an
// "unsupported on kube: reason" error (never a silent pass).
func TestSupports(t *testing.T) {
	tests := []struct {
		name        string
		mode        string
		kind        string
		target      string
		unsupported string // substring of the reason; empty: supported
		onKind      bool   // the platform is kind (a cluster the harness created)
	}{
		{"kill control plane", platform.ModeBoth, resilience.KindKill, "control-plane", "", false},
		{"kill app clientonly", platform.ModeClientOnly, resilience.KindKill, "app", "", false},
		{"kill app both", platform.ModeBoth, resilience.KindKill, "app", "", false},
		{"kill the server sidecar on an existing cluster", platform.ModeBoth, resilience.KindKill, "server-proxy", "never on the machines of an existing cluster", false},
		{"kill the client sidecar", platform.ModeBoth, resilience.KindKill, "client-proxy", "sidecar container of the load client's pod", true},
		{"abort", platform.ModeBoth, resilience.KindAbort, "", "", false},
		{"flood the inbound listener on kind", platform.ModeBoth, resilience.KindFlood, "server-proxy", "", true},
		{"flood an existing cluster", platform.ModeBoth, resilience.KindFlood, "server-proxy", "never the machines of an existing cluster", false},
		{"slow-loris an existing cluster", platform.ModeBoth, resilience.KindSlowloris, "server-proxy", "never the machines of an existing cluster", false},
		{"flood without a server sidecar", platform.ModeClientOnly, resilience.KindSlowloris, "server-proxy", "inbound listener only", true},
		{"pause the app on kind", platform.ModeBoth, resilience.KindPause, "app", "", true},
		{"pause the app on an existing cluster", platform.ModeBoth, resilience.KindPause, "app", "never on the machines of an existing cluster", false},
		{"pause a sidecar", platform.ModeBoth, resilience.KindPause, "server-proxy", "none of this lane's app pods", true},
		{"fail a replica on kind", platform.ModeClientOnly, resilience.KindFail, "app-2", "", true},
		{"fail a replica not run", platform.ModeClientOnly, resilience.KindFail, "app-4", `"app-4" is none of this lane's app pods`, true},
		{"fail on an existing cluster", platform.ModeClientOnly, resilience.KindFail, "app-2", "never on the machines of an existing cluster", false},
		{"rotate", platform.ModeBoth, resilience.KindRotate, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newTestPlatform(t, allImages)
			if tt.onKind {
				p.opts.Name, p.opts.Signaller = "kind", &recordingSignaller{}
			}
			spec := platform.Spec{Lane: platform.LaneMesh, Mode: tt.mode}
			if tt.mode == platform.ModeClientOnly {
				spec.Mesh.AppReplicas = 3
			}
			top, err := p.Up(context.Background(), spec)
			require.NoError(t, err)
			defer top.Down(context.Background())
			err = top.(resilience.Faultable).Supports(tt.kind, tt.target)
			if tt.unsupported == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, resilience.ErrUnsupported)
			assert.ErrorContains(t, err, "unsupported on "+p.opts.Name+": ")
			assert.ErrorContains(t, err, tt.unsupported)
		})
	}
}

// TestKillAndRestartPods: Kill deletes the component's pod (grace 0) and
// returns once the API server has none; Restart creates it again from its
// spec and returns once it is Ready; the casualties are the pod's measured
// containers.
func TestKillAndRestartPods(t *testing.T) {
	ctx := context.Background()
	p, cs := newTestPlatform(t, allImages)
	top, err := p.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth})
	require.NoError(t, err)
	defer top.Down(ctx)
	ft := top.(resilience.Faultable)
	tp := top.(*topology)
	pods := cs.CoreV1().Pods(tp.ns)
	old, err := pods.Get(ctx, "meshcontrol", metav1.GetOptions{})
	require.NoError(t, err)
	old.UID = types.UID("uid-old")
	_, err = pods.Update(ctx, old, metav1.UpdateOptions{})
	require.NoError(t, err)

	assert.Equal(t, []string{"control-plane"}, ft.Casualties("meshcontrol"))
	assert.Equal(t, []string{"app", "server-proxy"}, ft.Casualties("app"), "the server sidecar dies with the app pod")
	require.True(t, ft.Alive("meshcontrol"))

	what, err := ft.Kill(ctx, "meshcontrol")
	require.NoError(t, err)
	assert.Contains(t, what, "pod meshcontrol uid uid-old")
	_, err = pods.Get(ctx, "meshcontrol", metav1.GetOptions{})
	assert.Error(t, err, "the pod is gone")
	assert.False(t, ft.Alive("meshcontrol"))

	what, err = ft.Restart(ctx, "meshcontrol")
	require.NoError(t, err)
	assert.Contains(t, what, "(Ready)")
	np, err := pods.Get(ctx, "meshcontrol", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, old.Spec.Containers, np.Spec.Containers, "the replacement runs the same spec")
	assert.True(t, ft.Alive("meshcontrol"))

	_, err = ft.Restart(ctx, "meshcontrol")
	assert.ErrorContains(t, err, "was not deleted by a fault", "a second restart is refused")
	_, err = ft.Kill(ctx, "client-proxy")
	assert.ErrorContains(t, err, `no component "client-proxy" to delete`)
}

// TestPolicyReachesTheMeshFile: a resilience scenario's policy (an abort on
// the lane's route) is written into meshcontrol's mesh file, on the kube
// platform's name of the service.
func TestPolicyReachesTheMeshFile(t *testing.T) {
	ctx := context.Background()
	p, cs := newTestPlatform(t, allImages)
	pol := &meshconfig.Policy{Routes: []meshconfig.ServiceRoutes{{Service: platform.LaneService,
		Rules: []meshconfig.Rule{{Fault: &meshconfig.Fault{Abort: &meshconfig.FaultAbort{Percent: 10, Status: 503}}}}}}}
	top, err := p.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth, Mesh: platform.MeshOptions{Policy: pol}})
	require.NoError(t, err)
	defer top.Down(ctx)
	cm, err := cs.CoreV1().ConfigMaps(top.(*topology).ns).Get(ctx, meshConfigMap, metav1.GetOptions{})
	require.NoError(t, err)
	m, err := meshconfig.Parse("mesh.yaml", []byte(cm.Data["mesh.yaml"]))
	require.NoError(t, err)
	require.Len(t, m.Policy.Routes, 1)
	assert.Equal(t, "app", m.Policy.Routes[0].Service)
	require.NotNil(t, m.Policy.Routes[0].Rules[0].Fault)
	assert.Equal(t, 10.0, m.Policy.Routes[0].Rules[0].Fault.Abort.Percent)

	_, err = p.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth, Mesh: platform.MeshOptions{AppReplicas: 3}})
	assert.ErrorContains(t, err, "unsupported on kube: 3 app replicas")
}

// TestDocsKindColumn: docs/reliability.md's kind table names every fault
// kind, and what it says of each row holds: a row whose kind cell begins
// "unsupported" is refused in every mesh mode, any other is supported in
// at least one.
func TestDocsKindColumn(t *testing.T) {
	rows, err := faultdocs.Read("../../../docs/reliability.md")
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, row := range rows {
		unsupported := strings.HasPrefix(row.Kind, "unsupported")
		for _, k := range row.Kinds {
			seen[k] = true
			for _, target := range row.Targets {
				supported := false
				for _, mode := range []string{platform.ModeBoth, platform.ModeClientOnly} {
					p, _ := newTestPlatform(t, allImages)
					p.opts.Name, p.opts.Signaller = "kind", &recordingSignaller{}
					// as a scenario with the fault brings the lane up (cli)
					top, err := p.Up(context.Background(), platform.Spec{Lane: platform.LaneMesh, Mode: mode,
						Mesh: platform.MeshOptions{SidecarRestart: k == resilience.KindKill, AppGracefulStop: k == resilience.KindRestart}})
					require.NoError(t, err)
					if top.(resilience.Faultable).Supports(k, target) == nil {
						supported = true
					}
					require.NoError(t, top.Down(context.Background()))
				}
				assert.Equal(t, !unsupported, supported, "docs row %q: %s %s", row.Head, k, target)
			}
		}
	}
	for _, k := range []string{resilience.KindKill, resilience.KindAbort, resilience.KindFlood, resilience.KindSlowloris,
		resilience.KindPause, resilience.KindFail, resilience.KindRotate, resilience.KindRestart} {
		assert.True(t, seen[k], "docs/reliability.md's kind table has no row for %s", k)
	}
}
