package kube

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/harness/peers"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
)

func waitingPod(name, container, image, reason string) corev1.Pod {
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system", Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: container, Image: image}}},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: container,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "pull access denied\nmore"}}}}},
	}
}

func TestImagePullFailures(t *testing.T) {
	pods := []corev1.Pod{
		waitingPod("istiod-1", "discovery", "docker.io/istio/pilot:1.31.0", "ImagePullBackOff"),
		waitingPod("istiod-2", "discovery", "docker.io/istio/pilot:1.31.0", "ErrImagePull"), // same image: named once
		waitingPod("other", "x", "example.io/x:1", "ContainerCreating"),                     // not a pull failure
	}
	imgs, detail := imagePullFailures(pods)
	assert.Equal(t, []string{"docker.io/istio/pilot:1.31.0"}, imgs)
	require.Len(t, detail, 1)
	assert.Equal(t, "docker.io/istio/pilot:1.31.0 (pod istio-system/istiod-1: ImagePullBackOff: pull access denied)", detail[0])

	imgs, _ = imagePullFailures(pods[2:])
	assert.Empty(t, imgs)
}

// TestPullErrorSaysHowToPreload: the message names the failed image, every
// image of the install and both ways to put them on kind's nodes.
func TestPullErrorSaysHowToPreload(t *testing.T) {
	m := &peers.Manifest{Peer: peers.Istio(), Images: []string{"docker.io/istio/pilot:1.31.0", "docker.io/istio/proxyv2:1.31.0"}}
	err := pullError(m, []string{"docker.io/istio/pilot:1.31.0"}, []string{"docker.io/istio/pilot:1.31.0 (pod istio-system/istiod-1: ErrImagePull: x)"})
	assert.True(t, errors.Is(err, ErrPeerImages))
	for _, want := range []string{
		"cannot pull istio's images: docker.io/istio/pilot:1.31.0 (pod istio-system/istiod-1: ErrImagePull",
		"kind load docker-image IMAGE", "kind load image-archive", "registry mirror",
		"needs: docker.io/istio/pilot:1.31.0 docker.io/istio/proxyv2:1.31.0",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestMarkInjection(t *testing.T) {
	ns := managedNamespace("a")
	markInjection(ns, peers.Istio())
	assert.Equal(t, "enabled", ns.Labels["istio-injection"])
	assert.Equal(t, "true", ns.Labels[ManagedLabel])
	ns = managedNamespace("b")
	markInjection(ns, peers.Linkerd())
	assert.Equal(t, "enabled", ns.Annotations["linkerd.io/inject"])
	assert.NotContains(t, ns.Labels, "istio-injection")
}

// TestPeerLaneWithoutManifests: without generated manifests the istio and
// linkerd lanes are unavailable at once, saying how to generate them, and
// nothing is created on the cluster.
func TestPeerLaneWithoutManifests(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		p, cs := newTestPlatform(t, Images{Meshbench: "mb:1"})
		p.opts.PeerManifests = dir
		for _, lane := range []string{"istio", "linkerd"} {
			_, err := p.Up(t.Context(), platform.Spec{Lane: lane, Case: results.Case{Protocol: "http1", MTLS: true}})
			require.ErrorIs(t, err, platform.ErrLaneUnavailable, "dir %q lane %s", dir, lane)
			assert.Contains(t, err.Error(), "make peer-manifests")
		}
		nss, err := cs.CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{})
		require.NoError(t, err)
		assert.Empty(t, nss.Items, "nothing created")
	}
}
