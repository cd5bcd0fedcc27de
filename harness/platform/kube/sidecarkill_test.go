package kube

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/resilience"
)

// kubeletSignaller plays the node: a KILL to a container makes the fake
// API server report what the kubelet would (the container restarted:
// a new id, its restart count up, running and ready), after a while.
type kubeletSignaller struct {
	cs    *fake.Clientset
	ns    string
	delay time.Duration
	mu    sync.Mutex
	sent  []string
}

func (s *kubeletSignaller) Signal(ctx context.Context, node, id, sig string) (string, error) {
	s.mu.Lock()
	s.sent = append(s.sent, node+"/"+id+"/"+sig)
	s.mu.Unlock()
	if sig == "KILL" {
		go func() {
			time.Sleep(s.delay)
			pod, err := s.cs.CoreV1().Pods(s.ns).Get(context.Background(), "app", metav1.GetOptions{})
			if err != nil {
				return
			}
			for i := range pod.Status.ContainerStatuses {
				st := &pod.Status.ContainerStatuses[i]
				if "containerd://"+id == st.ContainerID {
					st.ContainerID += "-restarted"
					st.RestartCount++
					st.Ready = true
					st.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}
				}
			}
			_, _ = s.cs.CoreV1().Pods(s.ns).UpdateStatus(context.Background(), pod, metav1.UpdateOptions{})
		}()
	}
	return fmt.Sprintf("host pid 42 in node %s (SIG%s)", node, sig), nil
}

// TestSidecarKill: kill server-proxy signals KILL to the app pod's
// meshproxy container (the pod stays) and returns once the API server
// reports it dead; the pod restarts its containers (restartPolicy Always)
// only when the scenario kills the sidecar; Restart returns once the
// kubelet restarted it and the pod is Ready; only the sidecar is a
// casualty; without SidecarRestart or a server sidecar it is refused.
func TestSidecarKill(t *testing.T) {
	ctx := context.Background()
	p, cs := newTestPlatform(t, allImages)
	p.opts.Name = "kind"
	top, err := p.Up(ctx, platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth, Mesh: platform.MeshOptions{SidecarRestart: true}})
	require.NoError(t, err)
	defer top.Down(ctx)
	tp := top.(*topology)
	sig := &kubeletSignaller{cs: cs, ns: tp.ns, delay: 300 * time.Millisecond}
	p.opts.Signaller = sig
	ft := top.(resilience.Faultable)

	app, err := cs.CoreV1().Pods(tp.ns).Get(ctx, "app", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, corev1.RestartPolicyAlways, app.Spec.RestartPolicy, "the kubelet restarts the killed sidecar")
	require.NoError(t, ft.Supports(resilience.KindKill, "server-proxy"))
	assert.Equal(t, []string{"server-proxy"}, ft.Casualties("server-proxy"), "the app runs on and is measured")

	start := time.Now()
	what, err := ft.Kill(ctx, "server-proxy")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), sig.delay, "Kill returns once the API server reports the container dead")
	assert.Equal(t, "pod app container meshproxy: host pid 42 in node node-a (SIGKILL)", what)
	assert.Equal(t, []string{"node-a/app-" + inject.ContainerName + "/KILL"}, sig.sent)
	_, err = cs.CoreV1().Pods(tp.ns).Get(ctx, "app", metav1.GetOptions{})
	require.NoError(t, err, "the pod is not deleted")

	now, err := ft.Restart(ctx, "server-proxy")
	require.NoError(t, err)
	assert.Regexp(t, `^container meshproxy of pod app restarted by the kubelet \(restart 1, started \d\d:\d\d:\d\d\), pod Ready$`, now)
	assert.True(t, ft.Alive("server-proxy"))
	_, err = ft.Restart(ctx, "server-proxy")
	assert.ErrorContains(t, err, "not killed by a fault")

	// A second kill signals the restarted container, not the dead one.
	_, err = ft.Kill(ctx, "server-proxy")
	require.NoError(t, err)
	assert.Equal(t, "node-a/app-"+inject.ContainerName+"-restarted/KILL", sig.sent[1])
	_, err = ft.Restart(ctx, "server-proxy")
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		spec platform.Spec
		why  string
	}{
		{"no restart policy", platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeBoth}, "restarts nothing"},
		{"no server sidecar", platform.Spec{Lane: platform.LaneMesh, Mode: platform.ModeClientOnly, Mesh: platform.MeshOptions{SidecarRestart: true}}, "no server sidecar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, cs := newTestPlatform(t, allImages)
			p.opts.Name, p.opts.Signaller = "kind", &recordingSignaller{}
			top, err := p.Up(ctx, tc.spec)
			require.NoError(t, err)
			defer top.Down(ctx)
			err = top.(resilience.Faultable).Supports(resilience.KindKill, "server-proxy")
			assert.ErrorIs(t, err, resilience.ErrUnsupported)
			assert.ErrorContains(t, err, tc.why)
			_, err = top.(resilience.Faultable).Kill(ctx, "server-proxy")
			assert.ErrorIs(t, err, resilience.ErrUnsupported, "Kill refuses it too")
			if app, err := cs.CoreV1().Pods(top.(*topology).ns).Get(ctx, "app", metav1.GetOptions{}); err == nil {
				assert.Equal(t, corev1.RestartPolicyNever, app.Spec.RestartPolicy, "a crash fails the run")
			}
		})
	}
}
