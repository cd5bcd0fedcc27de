package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"

	"github.com/meshbench/meshbench/internal/await"
	kindconfig "github.com/meshbench/meshbench/kind-config"
)

// Defaults.
const (
	DefaultName      = "meshbench"
	DefaultNodeImage = "meshbench/kind-node:v1.34.4"
	// DefaultReadyTimeout bounds the wait for every node to be Ready.
	DefaultReadyTimeout = 3 * time.Minute
)

// ErrNotFound is returned when the named cluster does not exist.
var ErrNotFound = errors.New("kind cluster not found")

// CreateOptions of Create. Zero values take the defaults above.
type CreateOptions struct {
	Name      string
	NodeImage string
	// Config is an embedded config name (one-node, three-nodes) or a path.
	Config string
	// Kubeconfig is where kind merges the cluster's kubeconfig; empty means
	// kind's default ($KUBECONFIG or ~/.kube/config).
	Kubeconfig string
	// Reuse an existing cluster of that name instead of failing.
	Reuse        bool
	ReadyTimeout time.Duration
}

// Manager drives kind's provider.
type Manager struct {
	provider *kindcluster.Provider
	log      *slog.Logger
	// nodes caches node containers by "cluster/node" for NodeExec; a
	// deleted cluster's entries are dropped by Delete.
	nodes sync.Map
	// disk is checked before a cluster is created and images are loaded.
	disk DiskCheck
}

// NewManager returns a Manager using Docker.
func NewManager(log *slog.Logger) *Manager {
	m := &Manager{
		provider: kindcluster.NewProvider(kindcluster.ProviderWithDocker(), kindcluster.ProviderWithLogger(kindLogger{l: log})),
		log:      log,
		disk:     NewDiskCheck(log),
	}
	m.disk.Clusters = m.provider.List
	return m
}

// Exists reports whether a cluster of that name exists.
func (m *Manager) Exists(name string) (bool, error) {
	names, err := m.provider.List()
	if err != nil {
		return false, fmt.Errorf("list kind clusters: %w", withOutput(err))
	}
	return slices.Contains(names, name), nil
}

// Create creates the cluster (or reuses it when o.Reuse), installs the CNI
// and waits until every node and every kube-system pod is Ready. It reports whether it created the
// cluster, so that callers delete only what they made.
func (m *Manager) Create(ctx context.Context, o CreateOptions) (created bool, err error) {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.NodeImage == "" {
		o.NodeImage = DefaultNodeImage
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = DefaultReadyTimeout
	}
	exists, err := m.Exists(o.Name)
	if err != nil {
		return false, err
	}
	if exists && !o.Reuse {
		return false, fmt.Errorf("kind cluster %q already exists (reuse it with --reuse, or delete it)", o.Name)
	}
	if !exists {
		raw, err := kindconfig.Load(o.Config)
		if err != nil {
			return false, err
		}
		if err := m.disk.ForCluster(ctx, o.Name, o.Config); err != nil {
			return false, err
		}
		m.log.Info("creating kind cluster", "name", o.Name, "image", o.NodeImage, "config", o.Config)
		start := time.Now()
		// The volumes before kind starts: a failed create removes the
		// anonymous ones it left (cleanup.go).
		before, volErr := volumes(ctx)
		// No WaitForReady: nodes turn Ready only once the CNI below is in.
		if err := m.provider.Create(o.Name,
			kindcluster.CreateWithRawConfig(raw),
			kindcluster.CreateWithNodeImage(o.NodeImage),
			kindcluster.CreateWithKubeconfigPath(o.Kubeconfig),
			kindcluster.CreateWithDisplayUsage(false),
			kindcluster.CreateWithDisplaySalutation(false),
		); err != nil {
			// kind deletes what it made when it fails, but an interrupted
			// `docker run` (Ctrl-C reaches kind's docker commands too) can
			// leave a node container that dockerd finishes creating after
			// kind looked: Delete waits for the label to stay empty.
			err = fmt.Errorf("create kind cluster %q: %w", o.Name, withOutput(err))
			if derr := m.Delete(o.Name, o.Kubeconfig); derr != nil {
				err = errors.Join(err, derr)
			}
			m.removeLeftVolumes(ctx, before, volErr)
			return false, err
		}
		created = true
		m.log.Info("kind cluster created", "name", o.Name, "took", time.Since(start).Round(time.Millisecond))
	} else {
		m.log.Info("reusing kind cluster", "name", o.Name)
	}
	fail := func(err error) (bool, error) {
		if created {
			if derr := m.Delete(o.Name, o.Kubeconfig); derr != nil {
				m.log.Warn("delete after failed create", "err", derr)
			}
		}
		return false, err
	}
	cs, _, err := m.Clients(o.Name)
	if err != nil {
		return fail(err)
	}
	if err := m.installCNI(ctx, o.Name, cs); err != nil {
		return fail(fmt.Errorf("install CNI: %w", err))
	}
	if err := waitNodesReady(ctx, cs, o.ReadyTimeout); err != nil {
		return fail(err)
	}
	if err := waitSystemReady(ctx, cs, o.ReadyTimeout, time.Second); err != nil {
		return fail(err)
	}
	return created, nil
}

// removeLeftVolumes removes the anonymous volumes a failed create left
// (cleanup.go), and says what it removed or why it could not.
func (m *Manager) removeLeftVolumes(ctx context.Context, before []string, volErr error) {
	if volErr != nil {
		m.log.Warn("volumes a failed create left are not removed: the volumes before it are unknown", "err", volErr)
		return
	}
	removed, err := removeNewDangling(context.WithoutCancel(ctx), m.log, before)
	if err != nil {
		m.log.Warn("volumes a failed create left are not removed", "err", err)
	}
	if len(removed) > 0 {
		m.log.Info("removed the volumes the failed create left", "volumes", len(removed))
	}
}

// Delete deletes the cluster; a cluster that does not exist is not an error.
func (m *Manager) Delete(name, kubeconfig string) error {
	if name == "" {
		name = DefaultName
	}
	m.nodes.Range(func(k, _ any) bool {
		if strings.HasPrefix(k.(string), name+"/") {
			m.nodes.Delete(k)
		}
		return true
	})
	if err := m.provider.Delete(name, kubeconfig); err != nil {
		return fmt.Errorf("delete kind cluster %q: %w", name, withOutput(err))
	}
	return m.settleDeleted(name, kubeconfig)
}

// settleDeleted deletes again until no container carries the cluster's
// label twice in a row: a node container whose creation was in flight
// when the cluster was deleted (its `docker run` interrupted) shows up
// only afterwards. Measured: without this, SIGINT during creation left a
// "Created" control-plane container behind (TestKindSIGINTLeavesNothing).
//
// It waits without the caller's context: a deletion runs at teardown,
// often after a Ctrl-C, and must finish; settleTimeout bounds it.
func (m *Manager) settleDeleted(name, kubeconfig string) error {
	empty := 0
	return await.Until(context.Background(), fmt.Sprintf("kind cluster %q to have no node containers twice in a row", name), 500*time.Millisecond, settleTimeout,
		func(context.Context) (bool, string, error) {
			nodes, err := m.provider.ListNodes(name)
			if err != nil {
				return false, "", fmt.Errorf("list nodes of kind cluster %q: %w", name, withOutput(err))
			}
			if len(nodes) == 0 {
				empty++
				return empty == 2, "none", nil
			}
			empty = 0
			if err := m.provider.Delete(name, kubeconfig); err != nil {
				return false, "", fmt.Errorf("delete kind cluster %q: %w", name, withOutput(err))
			}
			return false, fmt.Sprintf("%d node containers (deleted again)", len(nodes)), nil
		})
}

// settleTimeout bounds settleDeleted.
const settleTimeout = 30 * time.Second

// Clients returns a clientset and REST config for the cluster, from the
// kubeconfig kind generates (no file needed).
func (m *Manager) Clients(name string) (kubernetes.Interface, *rest.Config, error) {
	kc, err := m.provider.KubeConfig(name, false)
	if err != nil {
		return nil, nil, fmt.Errorf("kubeconfig of %q: %w", name, withOutput(err))
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(kc))
	if err != nil {
		return nil, nil, fmt.Errorf("kubeconfig of %q: %w", name, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cs, cfg, nil
}

// NodeStatus is one node as Status reports it.
type NodeStatus struct {
	Name    string
	Role    string // the meshbench.io/role label
	Ready   bool
	PodCIDR string
	Kubelet string
}

// Status lists the cluster's nodes; ErrNotFound when it does not exist.
func (m *Manager) Status(ctx context.Context, name string) ([]NodeStatus, error) {
	ok, err := m.Exists(name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	cs, _, err := m.Clients(name)
	if err != nil {
		return nil, err
	}
	nl, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	var out []NodeStatus
	for _, n := range nl.Items {
		out = append(out, NodeStatus{
			Name: n.Name, Role: n.Labels[RoleLabel], Ready: nodeReady(&n),
			PodCIDR: n.Spec.PodCIDR, Kubelet: n.Status.NodeInfo.KubeletVersion,
		})
	}
	return out, nil
}

// RoleLabel places pods on nodes (kind-config/three-nodes.yaml).
const RoleLabel = "meshbench.io/role"

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitNodesReady waits (every second, for at most timeout) until the
// cluster has nodes and every one is Ready.
func waitNodesReady(ctx context.Context, cs kubernetes.Interface, timeout time.Duration) error {
	return await.Until(ctx, "nodes to be Ready", time.Second, timeout, func(ctx context.Context) (bool, string, error) {
		nl, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error(), nil // the API server may still be starting
		}
		if len(nl.Items) == 0 {
			return false, "no nodes registered", nil
		}
		notReady := namesFailing(nl.Items, nodeReady)
		return len(notReady) == 0, "not Ready: " + strings.Join(notReady, ", "), nil
	})
}

// namesFailing lists, sorted, the names of the items ok rejects: the
// nodes or pods a wait is still waiting for.
func namesFailing[T any, P interface {
	*T
	GetName() string
}](items []T, ok func(P) bool) []string {
	var out []string
	for i := range items {
		if p := P(&items[i]); !ok(p) {
			out = append(out, p.GetName())
		}
	}
	slices.Sort(out)
	return out
}
