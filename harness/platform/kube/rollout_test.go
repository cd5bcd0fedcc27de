package kube

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/resilience"
)

// TestGracefulRestart: with AppGracefulStop every container of the app
// pod (the app and its sidecar) has the preStop sleep inside a longer
// grace period; Replace creates the new pod from the old one's spec,
// waits until it is Ready, then deletes the old one with its grace
// period (not 0); Replaced returns once it is gone. Without the preStop,
// or for another component, the fault is refused.
func TestGracefulRestart(t *testing.T) {
	ctx := context.Background()
	p, cs := newTestPlatform(t, allImages)
	top, err := p.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth, Mesh: platform.MeshOptions{AppGracefulStop: true}})
	require.NoError(t, err)
	defer top.Down(ctx)
	tp := top.(*topology)
	ft := top.(resilience.Faultable)
	old, err := cs.CoreV1().Pods(tp.ns).Get(ctx, "app", metav1.GetOptions{})
	require.NoError(t, err)
	require.Len(t, old.Spec.Containers, 2, "the app and its sidecar")
	assert.Equal(t, int64(graceSeconds), *old.Spec.TerminationGracePeriodSeconds)
	for _, c := range old.Spec.Containers {
		require.NotNil(t, c.Lifecycle, c.Name)
		assert.Equal(t, int64(preStopSeconds), c.Lifecycle.PreStop.Sleep.Seconds, "%s keeps serving while it drains", c.Name)
	}
	require.NoError(t, ft.Supports(resilience.KindRestart, "app"))
	assert.ElementsMatch(t, []string{"app", "server-proxy"}, ft.Casualties("app"), "the old pod's containers are not measured")

	var deleted []metav1.DeleteOptions
	cs.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		deleted = append(deleted, a.(k8stesting.DeleteAction).GetDeleteOptions())
		return false, nil, nil
	})
	what, err := ft.Replace(ctx, "app")
	require.NoError(t, err)
	assert.Regexp(t, `^pod app-r1 uid \S* on node-a, IP \S*, Ready after \S+; pod app uid \S* deleted with grace 10s \(preStop: terminating, still serving\)$`, what)
	np, err := cs.CoreV1().Pods(tp.ns).Get(ctx, "app-r1", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, old.Labels, np.Labels, "the Service selects the new pod")
	assert.Equal(t, serverProxyID, np.Annotations[inject.AnnotationProxyID], "its sidecar is named for the registry")
	assert.Len(t, np.Spec.Containers, 2)
	require.Len(t, deleted, 1)
	assert.Nil(t, deleted[0].GracePeriodSeconds, "deleted with the pod's own grace period, not 0")
	_, err = cs.CoreV1().Pods(tp.ns).Get(ctx, "app", metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err))
	gone, err := ft.Replaced(ctx, "app")
	require.NoError(t, err)
	assert.Contains(t, gone, "pod app gone")
	_, err = ft.Replaced(ctx, "app")
	assert.ErrorContains(t, err, "no pod was replaced")

	p2, _ := newTestPlatform(t, allImages)
	top2, err := p2.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth})
	require.NoError(t, err)
	defer top2.Down(ctx)
	err = top2.(resilience.Faultable).Supports(resilience.KindRestart, "app")
	assert.ErrorIs(t, err, resilience.ErrUnsupported)
	assert.ErrorContains(t, err, "without its preStop")
	_, err = top2.(resilience.Faultable).Replace(ctx, "app")
	assert.ErrorIs(t, err, resilience.ErrUnsupported)
	assert.ErrorContains(t, ft.Supports(resilience.KindRestart, "meshcontrol"), "restarts the single app pod")
}
