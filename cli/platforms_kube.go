package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshbench/meshbench/harness/cluster"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/platform/kind"
	"github.com/meshbench/meshbench/harness/platform/kube"
)

// Knobs of the kind and kube platforms that `meshbench run` has no flag for
// (docs/kind.md):
//
//	MESHBENCH_KIND_CLUSTER   cluster name (default meshbench); an existing one is reused and kept
//	MESHBENCH_KIND_CONFIG    one-node (default), three-nodes, or a kind config file
//	MESHBENCH_NODE_IMAGE     node image (default meshbench/kind-node:v1.34.4)
//	MESHBENCH_IMAGES         kube platform: image refs the cluster can pull or has,
//	                         e.g. meshbench=REG/meshbench:TAG,meshproxy=REG/meshproxy:TAG
//	MESHBENCH_PEER_MANIFESTS the generated Istio and Linkerd manifests (make peer-manifests);
//	                         default: peers/ beside the meshbench binary (bin/peers)
func newKindPlatform(ctx context.Context, e *env, f *runFlags, bins platform.Binaries) (platform.Platform, error) {
	return kind.New(ctx, kind.Options{
		Cluster:   os.Getenv("MESHBENCH_KIND_CLUSTER"),
		Config:    os.Getenv("MESHBENCH_KIND_CONFIG"),
		NodeImage: os.Getenv("MESHBENCH_NODE_IMAGE"),
		Keep:      f.keep,
		Binaries:  bins,
		Log:       e.log,
		Peers:     peerManifests(bins),
	})
}

// peerManifests is where the istio and linkerd lanes find their manifests.
func peerManifests(bins platform.Binaries) string {
	if d := os.Getenv("MESHBENCH_PEER_MANIFESTS"); d != "" {
		return d
	}
	return filepath.Join(filepath.Dir(bins.Meshbench), "peers")
}

func newKubePlatform(_ context.Context, e *env, f *runFlags, bins platform.Binaries) (platform.Platform, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig: %w", err)
	}
	images, err := kubeImages(os.Getenv("MESHBENCH_IMAGES"), bins)
	if err != nil {
		return nil, err
	}
	return kube.New(kube.Options{Config: cfg, Images: images, Log: e.log, PeerManifests: peerManifests(bins)})
}

// kubeImages takes image refs from MESHBENCH_IMAGES, else the pinned refs
// of the local binaries (images `meshbench cluster create` or kind's
// nodeutils loaded; a remote cluster needs them in a registry).
func kubeImages(spec string, bins platform.Binaries) (kube.Images, error) {
	var im kube.Images
	dst := map[string]*string{"meshbench": &im.Meshbench, "meshproxy": &im.Meshproxy, "meshcontrol": &im.Meshcontrol}
	if spec != "" {
		for _, kv := range strings.Split(spec, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			p, known := dst[k]
			if !ok || !known || v == "" {
				return im, fmt.Errorf("MESHBENCH_IMAGES %q: want meshbench=REF[,meshproxy=REF][,meshcontrol=REF]", spec)
			}
			*p = v
		}
		return im, nil
	}
	for name, bin := range map[string]string{"meshbench": bins.Meshbench, "meshproxy": bins.Meshproxy, "meshcontrol": bins.Meshcontrol} {
		if _, err := os.Stat(bin); err != nil {
			continue
		}
		ref, err := cluster.ImageRef(name, bin)
		if err != nil {
			return im, err
		}
		*dst[name] = ref
	}
	return im, nil
}
