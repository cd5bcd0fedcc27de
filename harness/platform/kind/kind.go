package kind

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/harness/cluster"
	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/platform/kube"
)

// Options of the kind platform. Zero values take the cluster package's defaults.
type Options struct {
	Cluster   string // cluster name (default meshbench)
	NodeImage string
	Config    string // one-node (default), three-nodes, or a path
	// Keep the cluster on Close even if this platform created it.
	Keep     bool
	Binaries platform.Binaries
	Log      *slog.Logger
	// Peers is the directory of the generated Istio and Linkerd manifests
	// (kube.Options.PeerManifests).
	Peers string
}

// Platform runs lanes on a kind cluster.
type Platform struct {
	*kube.Platform
	opts    Options
	mgr     *cluster.Manager
	created bool
}

// New creates (or reuses) the cluster, builds and loads the images and
// returns the platform. On error, a cluster it created is deleted.
func New(ctx context.Context, o Options) (*Platform, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Cluster == "" {
		o.Cluster = cluster.DefaultName
	}
	p := &Platform{opts: o, mgr: cluster.NewManager(o.Log)}
	images, err := BuildImages(ctx, o.Binaries, o.Log)
	if err != nil {
		return nil, err
	}
	p.created, err = p.mgr.Create(ctx, cluster.CreateOptions{Name: o.Cluster, NodeImage: o.NodeImage, Config: o.Config, Reuse: true})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Platform, error) {
		return nil, errors.Join(err, p.deleteIfCreated())
	}
	if err := p.mgr.LoadImages(ctx, o.Cluster, images.Refs()...); err != nil {
		return fail(err)
	}
	cs, cfg, err := p.mgr.Clients(o.Cluster)
	if err != nil {
		return fail(err)
	}
	// The node containers' IDs, looked up now (a cluster's nodes do not
	// change) so that a fault signals without asking Docker first.
	byNode, idErr := p.mgr.NodeContainers(ctx, o.Cluster)
	if idErr != nil {
		o.Log.Warn("node container IDs unknown: pause and fail faults signal through docker exec", "err", idErr)
	}
	var ids []string
	for _, id := range byNode {
		ids = append(ids, id)
	}
	nodeIDs := func(context.Context) ([]string, error) { return ids, idErr }
	kp, err := kube.New(kube.Options{
		Config: cfg, Images: images, Log: o.Log, Name: "kind", PeerManifests: o.Peers,
		Probes: &cgroupSource{root: "/sys/fs/cgroup", fallback: kube.NewKubeletStats(cs)},
		// The nodes are containers this harness made: it may signal a
		// pod's process from inside one (the pause and fail faults).
		Signaller: &signaller{cgroupRoot: "/sys/fs/cgroup", nodeIDs: nodeIDs,
			exec: func(ctx context.Context, node string, argv ...string) (string, error) {
				return p.mgr.NodeExec(ctx, o.Cluster, node, argv...)
			}},
	})
	if err != nil {
		return fail(err)
	}
	p.Platform = kp
	if err := p.settle(ctx, cs, byNode, defaultSettle); err != nil {
		return fail(err)
	}
	return p, nil
}

// settle waits, within rule's bound, until the cluster is quiet enough to
// measure on (settle.go), created or reused alike, and logs how long that
// took or what was still busy at the bound.
func (p *Platform) settle(ctx context.Context, cs kubernetes.Interface, byNode map[string]string, rule settleRule) error {
	nodes, err := nodeCgroups("/sys/fs/cgroup", byNode)
	if err != nil || len(nodes) == 0 {
		p.opts.Log.Warn("node containers' CPU unreadable here: the cluster settles on its pods alone", "err", err)
	}
	v := &clusterView{cs: cs, nodes: nodes, now: time.Now}
	p.opts.Log.Info("waiting for the kind cluster to settle", "name", p.opts.Cluster, "bound", rule.bound, "quiet", rule.quiet,
		"max_node_cpu_cores", rule.maxCores)
	s, err := settle(ctx, rule, v.look, time.Now)
	if err != nil {
		return err
	}
	logSettled(p.opts.Log, p.opts.Cluster, rule, s)
	return nil
}

// BuildImages makes the FROM-scratch images of the binaries that exist;
// meshbench is required, meshproxy and meshcontrol only by the mesh lane.
func BuildImages(ctx context.Context, b platform.Binaries, log *slog.Logger) (kube.Images, error) {
	var im kube.Images
	for _, x := range []struct {
		name, bin string
		dst       *string
		required  bool
	}{
		{"meshbench", b.Meshbench, &im.Meshbench, true},
		{"meshproxy", b.Meshproxy, &im.Meshproxy, false},
		{"meshcontrol", b.Meshcontrol, &im.Meshcontrol, false},
	} {
		if _, err := os.Stat(x.bin); err != nil {
			if x.required {
				return im, fmt.Errorf("%s binary: %w", x.name, err)
			}
			log.Info("no binary: its image is skipped", "component", x.name, "path", x.bin)
			continue
		}
		ref, err := cluster.BuildImage(ctx, log, x.name, x.bin)
		if err != nil {
			if x.required {
				return im, err
			}
			log.Warn("image not built", "component", x.name, "err", err)
			continue
		}
		*x.dst = ref
	}
	return im, nil
}

// Close implements platform.Platform: lanes down, then the cluster deleted
// if this platform created it and Keep is false.
func (p *Platform) Close(ctx context.Context) error {
	var err error
	if p.Platform != nil {
		err = p.Platform.Close(ctx)
	}
	return errors.Join(err, p.deleteIfCreated())
}

func (p *Platform) deleteIfCreated() error {
	if !p.created {
		return nil
	}
	if p.opts.Keep {
		p.opts.Log.Info("keeping kind cluster", "name", p.opts.Cluster)
		return nil
	}
	p.created = false
	return p.mgr.Delete(p.opts.Cluster, "")
}
