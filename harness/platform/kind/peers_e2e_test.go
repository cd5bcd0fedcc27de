package kind_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/harness/cluster"
	"github.com/meshbench/meshbench/harness/peers"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/platform/kube"
	"github.com/meshbench/meshbench/harness/results"
	kindconfig "github.com/meshbench/meshbench/kind-config"
)

// peerManifests returns the generated manifests dir, or skips.
func peerManifests(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MESHBENCH_PEER_MANIFESTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "bin", "peers")
	}
	if _, err := peers.Load(dir, peers.Istio()); err != nil {
		t.Skipf("no current peer manifests in %s (make peer-manifests generates them): %v", dir, err)
	}
	return dir
}

// TestKindPeersUnavailableOffline installs the pinned Istio and Linkerd on a
// one-node kind cluster that can pull no image (this machine's case): the
// objects are created on the real API server, the control plane's pods wait
// on the image pull, the lane is reported unavailable within the bound with
// the images named and how to preload them, a second run of the lane fails
// at once, and afterwards nothing of the install is left: namespaces, CRDs,
// webhooks, cluster roles and bindings. The cluster is deleted after.
func TestKindPeersUnavailableOffline(t *testing.T) {
	image := needKind(t, kindconfig.OneNode)
	dir := peerManifests(t)
	const name = "mb-peers-kind"
	mgr := cluster.NewManager(slog.New(slog.DiscardHandler))
	if ok, _ := mgr.Exists(name); ok {
		t.Fatalf("kind cluster %s exists already (left by an earlier run?): delete it with meshbench cluster delete --name %s", name, name)
	}
	t.Cleanup(func() { _ = mgr.Delete(name, "") })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	_, err := mgr.Create(ctx, cluster.CreateOptions{Name: name, NodeImage: image, Config: "one-node"})
	require.NoError(t, err)
	cs, cfg, err := mgr.Clients(name)
	require.NoError(t, err)
	// The harness's own images are never reached: the peer install fails first.
	p, err := kube.New(kube.Options{Config: cfg, Images: kube.Images{Meshbench: "meshbench.local/meshbench:unused"}, Name: "kind", PeerManifests: dir,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	require.NoError(t, err)

	for _, peer := range peers.All() {
		t.Run(peer.Name, func(t *testing.T) {
			m, err := peers.Load(dir, peer)
			if errors.Is(err, peers.ErrNotGenerated) {
				t.Skipf("%v", err)
			}
			require.NoError(t, err)
			seen := watchInstall(ctx, cs, peer)
			start := time.Now()
			_, err = p.Up(ctx, platform.Spec{Lane: peer.Name, Case: results.Case{Protocol: "http1", MTLS: true}})
			took := time.Since(start)
			st := seen.stop()
			t.Logf("%s: unavailable after %s: %v", peer.Name, took.Round(time.Second), err)
			require.ErrorIs(t, err, platform.ErrLaneUnavailable)
			require.ErrorIs(t, err, kube.ErrPeerImages)
			assert.Less(t, took, kube.PeerReadyTimeout, "reported from the pods' pull errors, not by the time bound")
			for _, want := range []string{"cannot pull " + peer.Name + "'s images", "kind load docker-image", "kind load image-archive"} {
				assert.Contains(t, err.Error(), want)
			}
			for _, img := range m.Images {
				assert.Contains(t, err.Error(), img, "every image the install needs is named")
			}
			assert.True(t, st.namespace, "the %s namespace was created", peer.Namespace)
			assert.True(t, st.crds, "the CRDs were created")
			assert.NotEmpty(t, st.pullWaiting, "a control-plane pod waited on its image pull")

			// The lane's next run fails at once, without installing again.
			start = time.Now()
			_, err2 := p.Up(ctx, platform.Spec{Lane: peer.Name, Case: results.Case{Protocol: "http1", MTLS: true}})
			assert.ErrorIs(t, err2, platform.ErrLaneUnavailable)
			assert.Less(t, time.Since(start), time.Second)

			assertNothingLeft(t, ctx, cs, peer)
		})
	}
	require.NoError(t, p.Close(ctx))
	require.NoError(t, mgr.Delete(name, ""))
	assert.Empty(t, kindContainers(t, name), "the cluster is deleted")
}

type installSeen struct {
	namespace, crds bool
	pullWaiting     []string
}

type watcher struct {
	mu   sync.Mutex
	seen installSeen
	done chan struct{}
	wg   sync.WaitGroup
}

// watchInstall polls the cluster while the install runs and records what
// it saw: the peer's namespace, its CRDs, pods waiting on an image pull.
func watchInstall(ctx context.Context, cs kubernetes.Interface, peer peers.Peer) *watcher {
	w := &watcher{done: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			sel := metav1.ListOptions{LabelSelector: kube.PeerLabel + "=" + peer.Name}
			_, nsErr := cs.CoreV1().Namespaces().Get(ctx, peer.Namespace, metav1.GetOptions{})
			crds, _ := cs.Discovery().RESTClient().Get().AbsPath("/apis/apiextensions.k8s.io/v1/customresourcedefinitions").
				Param("labelSelector", sel.LabelSelector).DoRaw(ctx)
			pods, _ := cs.CoreV1().Pods(peer.Namespace).List(ctx, metav1.ListOptions{})
			w.mu.Lock()
			w.seen.namespace = w.seen.namespace || nsErr == nil
			w.seen.crds = w.seen.crds || containsItems(crds)
			if pods != nil {
				for _, p := range pods.Items {
					for _, c := range p.Status.ContainerStatuses {
						if c.State.Waiting != nil && (c.State.Waiting.Reason == "ErrImagePull" || c.State.Waiting.Reason == "ImagePullBackOff") {
							w.seen.pullWaiting = append(w.seen.pullWaiting, p.Name+"/"+c.Name+": "+c.State.Waiting.Reason)
						}
					}
				}
			}
			w.mu.Unlock()
			select {
			case <-w.done:
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *watcher) stop() installSeen {
	close(w.done)
	w.wg.Wait()
	return w.seen
}

// containsItems reports whether a raw list response has at least one item.
func containsItems(raw []byte) bool {
	var l struct{ Items []json.RawMessage }
	return json.Unmarshal(raw, &l) == nil && len(l.Items) > 0
}

// assertNothingLeft checks that no object the install labelled remains, of
// every cluster-scoped kind a peer install makes, and that its namespace is
// gone.
func assertNothingLeft(t *testing.T, ctx context.Context, cs kubernetes.Interface, peer peers.Peer) {
	t.Helper()
	sel := metav1.ListOptions{LabelSelector: kube.PeerLabel + "=" + peer.Name}
	_, err := cs.CoreV1().Namespaces().Get(ctx, peer.Namespace, metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "namespace %s removed: %v", peer.Namespace, err)
	nss, err := cs.CoreV1().Namespaces().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, nss.Items, "namespaces")
	mw, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, mw.Items, "mutating webhooks")
	vw, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, vw.Items, "validating webhooks")
	cr, err := cs.RbacV1().ClusterRoles().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, cr.Items, "cluster roles")
	crb, err := cs.RbacV1().ClusterRoleBindings().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, crb.Items, "cluster role bindings")
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/apis/apiextensions.k8s.io/v1/customresourcedefinitions").
		Param("labelSelector", sel.LabelSelector).DoRaw(ctx)
	require.NoError(t, err)
	assert.False(t, containsItems(raw), "CRDs: %s", raw)
}
