package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/harness/peers"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/internal/await"
)

// ErrPeerImages marks a peer lane that is unavailable because the cluster
// cannot pull its images (errors.Is: both it and platform.ErrLaneUnavailable).
var ErrPeerImages = errors.New("images cannot be pulled")

// peerState is a peer's control plane for the platform's lifetime: installed
// by the first run of its lane, removed by Close. A failed install is
// remembered, so every later run of the lane fails at once with the same
// reason instead of installing again.
type peerState struct {
	install *peerInstall
	err     error
}

// ensurePeer installs the peer's control plane unless it is up, and waits
// for it; on failure every object it created is removed before returning.
func (p *Platform) ensurePeer(ctx context.Context, peer peers.Peer) (*peers.Manifest, error) {
	p.peerMu.Lock()
	defer p.peerMu.Unlock()
	if st, ok := p.peers[peer.Name]; ok {
		if st.err != nil {
			return nil, st.err
		}
		return st.install.m, nil
	}
	pi, err := p.installPeer(ctx, peer)
	p.peers[peer.Name] = &peerState{install: pi, err: err}
	if err != nil {
		return nil, err
	}
	return pi.m, nil
}

func (p *Platform) installPeer(ctx context.Context, peer peers.Peer) (*peerInstall, error) {
	unavailable := func(err error) error {
		return fmt.Errorf("lane %s: %w: %w", peer.Name, err, platform.ErrLaneUnavailable)
	}
	if p.opts.PeerManifests == "" {
		return nil, unavailable(fmt.Errorf("no peer manifests directory (generate with `make peer-manifests`, then pass --peer-manifests bin/peers)"))
	}
	m, err := peers.Load(p.opts.PeerManifests, peer)
	if err != nil {
		return nil, unavailable(err)
	}
	pi, err := p.newPeerInstall(m)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	p.opts.Log.Info("installing peer control plane", "peer", peer.Name, "version", peer.Version, "manifest", m.Path, "objects", len(m.Objects))
	err = pi.apply(ctx)
	if err == nil {
		err = p.waitPeerReady(ctx, m)
	}
	if err != nil {
		// Everything this install created goes, whatever the reason.
		if rerr := pi.remove(context.WithoutCancel(ctx)); rerr != nil {
			err = errors.Join(err, fmt.Errorf("removing the partial %s install: %w", peer.Name, rerr))
		}
		p.opts.Log.Info("peer install failed and was removed", "peer", peer.Name, "after", time.Since(start).Round(time.Second), "err", err)
		if errors.Is(err, ErrPeerImages) {
			return nil, unavailable(err)
		}
		return nil, fmt.Errorf("lane %s: install: %w", peer.Name, err)
	}
	p.opts.Log.Info("peer control plane ready", "peer", peer.Name, "after", time.Since(start).Round(time.Second))
	return pi, nil
}

// waitPeerReady waits until every Deployment in the peer's namespace has all
// its replicas available. A pod that cannot pull its image ends the wait at
// once with ErrPeerImages; so does the bound, naming what was not ready.
func (p *Platform) waitPeerReady(ctx context.Context, m *peers.Manifest) error {
	ns := m.Peer.Namespace
	err := await.Until(ctx, "every deployment in namespace "+ns+" to be available", peerPollInterval, PeerReadyTimeout,
		func(ctx context.Context) (bool, string, error) {
			pods, err := p.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err == nil {
				if imgs, detail := imagePullFailures(pods.Items); len(imgs) > 0 {
					return false, "", pullError(m, imgs, detail)
				}
			}
			notReady, err := p.deploymentsNotReady(ctx, ns)
			switch {
			case err != nil:
				return false, err.Error(), nil
			case len(notReady) > 0:
				return false, "not available: " + strings.Join(notReady, ", "), nil
			}
			return true, "", nil
		})
	var timeout *await.TimeoutError
	if errors.As(err, &timeout) {
		return fmt.Errorf("%s control plane: %w; it needs the images %s: %w", m.Peer.Name, err, strings.Join(m.Images, ", "), ErrPeerImages)
	}
	return err
}

func (p *Platform) deploymentsNotReady(ctx context.Context, ns string) ([]string, error) {
	ds, err := p.cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range ds.Items {
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if d.Status.AvailableReplicas < want {
			out = append(out, "deployment/"+d.Name)
		}
	}
	return out, nil
}

// pullError is the message a user reads when the cluster cannot pull a
// peer's images: which ones failed, every one the install needs, and how to
// put them on the nodes.
func pullError(m *peers.Manifest, failed, detail []string) error {
	return fmt.Errorf("the cluster cannot pull %s's images: %s. Preload every image the install needs on each node "+
		"(kind: `docker pull IMAGE && kind load docker-image IMAGE --name CLUSTER`, or `docker save IMAGE | kind load image-archive /dev/stdin --name CLUSTER` "+
		"on a host without the registry), or give the nodes a registry mirror; the %s install (%s) needs: %s: %w",
		m.Peer.Name, strings.Join(detail, "; "), m.Peer.Name, m.Peer.Version, strings.Join(m.Images, " "), ErrPeerImages)
}

// removePeers uninstalls every peer control plane this platform installed.
func (p *Platform) removePeers(ctx context.Context) error {
	p.peerMu.Lock()
	defer p.peerMu.Unlock()
	var errs []error
	for name, st := range p.peers {
		if st.install != nil {
			if err := st.install.remove(ctx); err != nil {
				errs = append(errs, fmt.Errorf("remove %s: %w", name, err))
			}
		}
		delete(p.peers, name)
	}
	return errors.Join(errs...)
}

// peerPodOff keeps one pod of a peer lane without a sidecar (Istio's
// clientonly / serveronly); peers without such an annotation run both only.
func peerPodOff(peer peers.Peer, pod *corev1.Pod) {
	if peer.InjectPodOff[0] != "" {
		pod.Annotations[peer.InjectPodOff[0]] = peer.InjectPodOff[1]
	}
}
